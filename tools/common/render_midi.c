/* Keeps the MIDI a rendered plugin sent and writes it as a Standard MIDI File
 * (see render_midi.h). */
#include "render_midi.h"

#include <errno.h>
#include <math.h>
#include <smf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parts.h"
#include "status.h"

typedef struct {
    int64_t frame;
    uint8_t size;
    uint8_t bytes[3];
} RecordedMessage;

struct PnlMidiRecording {
    RecordedMessage *messages;
    size_t count;
    size_t capacity;
};

PnlMidiRecording *pnl_midi_recording_new(void)
{
    return calloc(1, sizeof(PnlMidiRecording));
}

void pnl_midi_recording_free(PnlMidiRecording *recording)
{
    if (!recording)
        return;
    free(recording->messages);
    free(recording);
}

int pnl_midi_recording_add(PnlMidiRecording *recording, int64_t frame, const uint8_t *bytes,
                           uint8_t size)
{
    if (size < 1 || size > 3 || !(bytes[0] & 0x80) || bytes[0] >= 0xF0)
        return PNL_EINVAL;
    if (recording->count > 0 && frame < recording->messages[recording->count - 1].frame)
        return PNL_EINVAL;
    if (recording->count == recording->capacity) {
        size_t capacity = recording->capacity ? recording->capacity * 2 : 4096;
        RecordedMessage *grown = realloc(recording->messages, capacity * sizeof *grown);
        if (!grown)
            return PNL_ENOMEM;
        recording->messages = grown;
        recording->capacity = capacity;
    }
    RecordedMessage *message = &recording->messages[recording->count++];
    message->frame = frame;
    message->size = size;
    memset(message->bytes, 0, sizeof message->bytes);
    memcpy(message->bytes, bytes, size);
    return PNL_OK;
}

size_t pnl_midi_recording_count(const PnlMidiRecording *recording)
{
    return recording->count;
}

size_t pnl_midi_recording_note_ons(const PnlMidiRecording *recording)
{
    size_t note_ons = 0;
    for (size_t index = 0; index < recording->count; index++) {
        const RecordedMessage *message = &recording->messages[index];
        if ((message->bytes[0] & 0xF0) == 0x90 && message->size == 3 && message->bytes[2] > 0)
            note_ons++;
    }
    return note_ons;
}

/* Channel messages carry a fixed number of data bytes; libsmf checks it. */
static int expected_size(uint8_t status)
{
    switch (status & 0xF0) {
    case 0xC0:
    case 0xD0: return 2;
    default: return 3;
    }
}

static int add_meta(smf_track_t *track, const uint8_t *bytes, int size)
{
    smf_event_t *event = smf_event_new_from_pointer((void *)bytes, size);
    if (!event)
        return PNL_ENOMEM;
    smf_track_add_event_pulses(track, event, 0);
    return PNL_OK;
}

/* The channels the recording's messages use, bit c for channel c. */
static uint32_t channels_used(const PnlMidiRecording *recording)
{
    uint32_t used = 0;
    for (size_t index = 0; index < recording->count; index++)
        used |= 1u << (recording->messages[index].bytes[0] & 0x0F);
    return used;
}

/* Adds the recording's messages on `channel` (all of them for -1) to the
 * track, then its end. */
static int add_messages(smf_track_t *track, const PnlMidiRecording *recording, int channel,
                        double pulses_per_frame, const char *path, char *message,
                        size_t message_size)
{
    int last_pulse = 0;
    for (size_t index = 0; index < recording->count; index++) {
        const RecordedMessage *recorded = &recording->messages[index];
        if (recorded->size != expected_size(recorded->bytes[0]) ||
            (channel >= 0 && (recorded->bytes[0] & 0x0F) != channel))
            continue;
        double pulses = llround((double)recorded->frame * pulses_per_frame);
        if (pulses > 2e9) {
            snprintf(message, message_size, "%s: the recording is too long for a MIDI file",
                     path);
            return PNL_ERANGE;
        }
        smf_event_t *event = smf_event_new_from_pointer((void *)recorded->bytes, recorded->size);
        if (!event)
            return PNL_ENOMEM;
        last_pulse = (int)pulses;
        smf_track_add_event_pulses(track, event, last_pulse);
    }
    return smf_track_add_eot_pulses(track, last_pulse) != 0 ? PNL_EFORMAT : PNL_OK;
}

/* A new track added to the file; NULL when out of memory. */
static smf_track_t *new_track(smf_t *smf)
{
    smf_track_t *track = smf_track_new();
    if (track)
        smf_add_track(smf, track);
    return track;
}

/* A part's track opens with its name and its program (parts.h): the
 * plugin sends each part on its role's channel (pnl_part_channel). */
static int add_part_header(smf_track_t *track, int channel)
{
    const PnlPartRole *role = pnl_part_role(channel);
    char name[64];
    snprintf(name, sizeof name, "%s", role ? role->label : "Channel");
    uint8_t meta[3 + sizeof name] = {0xFF, 0x03, (uint8_t)strlen(name)};
    memcpy(meta + 3, name, strlen(name));
    const uint8_t program[2] = {(uint8_t)(0xC0 | channel), role ? role->program : 0};
    smf_event_t *event = smf_event_new_from_pointer((void *)program, sizeof program);
    if (add_meta(track, meta, 3 + (int)strlen(name)) != PNL_OK || !event)
        return PNL_ENOMEM;
    smf_track_add_event_pulses(track, event, 0);
    return PNL_OK;
}

int pnl_midi_recording_write(const PnlMidiRecording *recording, const char *path,
                             double sample_rate, double beats_per_minute, int beats_per_bar,
                             int beat_unit, char *message, size_t message_size)
{
    double quarters_per_minute = beats_per_minute * 4.0 / beat_unit;
    double pulses_per_frame = quarters_per_minute * PNL_MIDI_RECORDING_PPQ / (60.0 * sample_rate);
    uint32_t microseconds_per_quarter = (uint32_t)lround(60e6 / quarters_per_minute);
    int unit_exponent = 0;
    while ((1 << unit_exponent) < beat_unit)
        unit_exponent++;

    smf_t *smf = smf_new();
    if (!smf) {
        snprintf(message, message_size, "%s: out of memory for the MIDI file", path);
        return PNL_ENOMEM;
    }
    int status = PNL_OK;
    smf_track_t *track = smf_set_ppqn(smf, PNL_MIDI_RECORDING_PPQ) == 0 ? new_track(smf) : NULL;
    if (!track) {
        snprintf(message, message_size, "%s: libsmf could not set up the file", path);
        smf_delete(smf);
        return PNL_ENOMEM;
    }

    const uint8_t tempo[] = {0xFF, 0x51, 0x03, (uint8_t)(microseconds_per_quarter >> 16),
                             (uint8_t)(microseconds_per_quarter >> 8),
                             (uint8_t)microseconds_per_quarter};
    const uint8_t meter[] = {0xFF, 0x58, 0x04, (uint8_t)beats_per_bar, (uint8_t)unit_exponent,
                             24, 8};
    if (add_meta(track, tempo, sizeof tempo) != PNL_OK ||
        add_meta(track, meter, sizeof meter) != PNL_OK)
        status = PNL_ENOMEM;

    uint32_t channels = channels_used(recording);
    if (status == PNL_OK && (channels & ~1u) == 0) {
        /* The piano alone: one track, as a piano file has always been. */
        status = add_messages(track, recording, -1, pulses_per_frame, path, message,
                              message_size);
    } else if (status == PNL_OK) {
        /* An ensemble: a track of tempo and meter, then one per part. */
        status = smf_track_add_eot_pulses(track, 0) != 0 ? PNL_EFORMAT : PNL_OK;
        for (int channel = 0; channel < 16 && status == PNL_OK; channel++) {
            if (!(channels >> channel & 1u))
                continue;
            smf_track_t *part = new_track(smf);
            status = part ? add_part_header(part, channel) : PNL_ENOMEM;
            if (status == PNL_OK)
                status = add_messages(part, recording, channel, pulses_per_frame, path,
                                      message, message_size);
        }
    }
    if (status == PNL_ENOMEM)
        snprintf(message, message_size, "%s: out of memory for the MIDI file", path);
    else if (status == PNL_EFORMAT)
        snprintf(message, message_size, "%s: libsmf refused the end of the track", path);

    if (status == PNL_OK) {
        errno = 0;
        if (smf_save(smf, path) != 0) {
            snprintf(message, message_size, "%s: cannot write the MIDI file%s%s", path,
                     errno ? ": " : "", errno ? strerror(errno) : "");
            status = PNL_EIO;
        }
    }
    smf_delete(smf);
    return status;
}
