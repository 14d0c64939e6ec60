/* Standard MIDI files in and out through libsmf (docs/vocabulary.md, "Reading
 * MIDI" and "Writing MIDI").
 *
 * Reading happens in three steps:
 *  1. A structural pass over the bytes checks every chunk and event against
 *     the file's real size and copies the events Pianola uses (channel
 *     messages, time signatures) into a canonical file: explicit status bytes,
 *     one end-of-track per track, no sysex, text or tempo. libsmf reports
 *     damage through g_critical on stderr, or not at all, and trusts chunk
 *     lengths and running status; after this pass it sees only well-formed
 *     input. Tempo is dropped on purpose: positions come from ticks and PPQ
 *     alone, and libsmf's tempo map costs time per event on the
 *     piano-midi.de files' dense tempo curves.
 *  2. libsmf parses the canonical file; its events of every track are merged
 *     and ordered by tick (note-offs, then pedal, then meters, then note-ons).
 *  3. Notes are paired per track, channel and pitch, the sustain pedal is
 *     resolved into sounding lengths, and everything is snapped to the grid. */
#include "midifile.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <smf.h>
#include <sys/stat.h>

#include "status.h"

/* libsmf keeps event times in int pulses; stay well inside. */
enum { MAX_TRACK_PULSES = INT_MAX / 4 };

static int fail(char *message, size_t message_size, int status, const char *name,
                const char *format, ...)
{
    va_list args;
    int length;
    if (!message || !message_size)
        return status;
    length = snprintf(message, message_size, "%s: ", name);
    if (length >= 0 && (size_t)length < message_size) {
        va_start(args, format);
        vsnprintf(message + length, message_size - (size_t)length, format, args);
        va_end(args);
    }
    return status;
}

/* ---- Step 1: structural check and canonical copy ---------------------- */

typedef struct {
    unsigned char *bytes;
    size_t length;
    size_t capacity;
    int failed;
} Bytes;

static void put(Bytes *out, const unsigned char *data, size_t length)
{
    if (out->failed)
        return;
    if (out->length + length > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 4096;
        unsigned char *grown;
        while (capacity < out->length + length)
            capacity *= 2;
        grown = realloc(out->bytes, capacity);
        if (!grown) {
            out->failed = 1;
            return;
        }
        out->bytes = grown;
        out->capacity = capacity;
    }
    memcpy(out->bytes + out->length, data, length);
    out->length += length;
}

static void put_u32(Bytes *out, uint32_t value)
{
    unsigned char data[4] = {(unsigned char)(value >> 24), (unsigned char)(value >> 16),
                             (unsigned char)(value >> 8), (unsigned char)value};
    put(out, data, 4);
}

/* Writes `delta` as a variable-length quantity of at most 4 bytes. */
static void put_delta(Bytes *out, uint32_t delta)
{
    unsigned char data[4];
    int count = 0;
    data[3] = delta & 0x7f;
    count = 1;
    while ((delta >>= 7) && count < 4) {
        data[3 - count] = (unsigned char)(0x80 | (delta & 0x7f));
        count++;
    }
    put(out, data + 4 - count, (size_t)count);
}

/* Writes the pending delta time; a delta too long for 4 bytes is carried by
 * empty text events. */
static void put_pending_delta(Bytes *out, int64_t *pending)
{
    static const unsigned char empty_text[3] = {0xff, 0x01, 0x00};
    while (*pending > 0x0fffffff) {
        put_delta(out, 0x0fffffff);
        put(out, empty_text, 3);
        *pending -= 0x0fffffff;
    }
    put_delta(out, (uint32_t)*pending);
    *pending = 0;
}

static uint32_t read_u32(const unsigned char *data)
{
    return (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
}

static unsigned read_u16(const unsigned char *data)
{
    return (unsigned)data[0] << 8 | data[1];
}

/* Reads a variable-length quantity at data[*pos] (at most 4 bytes, inside
 * `end`). Returns 0, or -1 if it runs past the end or is longer. */
static int read_vlq(const unsigned char *data, size_t end, size_t *pos, uint32_t *value)
{
    *value = 0;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end)
            return -1;
        *value = (*value << 7) | (data[*pos] & 0x7f);
        if (!(data[(*pos)++] & 0x80))
            return 0;
    }
    return -1;
}

typedef struct {
    const char *name;
    char *message;
    size_t message_size;
    int ticks_per_quarter;
    size_t ignored_meta;
    int64_t longest_track_pulses;
} CheckContext;

/* Checks one MTrk chunk (data[0..length)) and appends its canonical copy,
 * chunk header included, to `out`. */
static int copy_track(CheckContext *context, int track, const unsigned char *data, size_t length,
                      size_t file_offset, Bytes *out)
{
    size_t pos = 0;
    size_t length_at = out->length;
    int running_status = 0;
    int64_t pulses = 0, pending = 0;
    static const unsigned char end_of_track[3] = {0xff, 0x2f, 0x00};

    put(out, (const unsigned char *)"MTrk", 4);
    put_u32(out, 0); /* patched below */
    while (pos < length) {
        uint32_t delta;
        size_t event_at;
        int status;
        if (read_vlq(data, length, &pos, &delta))
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "track %d: truncated or malformed delta time at byte %zu", track,
                        file_offset + pos);
        pulses += delta;
        pending += delta;
        if (pulses > MAX_TRACK_PULSES ||
            pulses * PNL_TICKS_PER_QUARTER / context->ticks_per_quarter > PNL_MAX_PIECE_TICKS)
            return fail(context->message, context->message_size, PNL_ERANGE, context->name,
                        "track %d: lasts %lld ticks (%lld quarter notes), longer than any "
                        "piece Pianola reads (%d quarter notes)",
                        track, (long long)pulses,
                        (long long)(pulses / context->ticks_per_quarter),
                        PNL_MAX_PIECE_TICKS / PNL_TICKS_PER_QUARTER);
        if (pos >= length)
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "track %d: ends inside an event at byte %zu", track, file_offset + pos);
        event_at = file_offset + pos;
        if (data[pos] & 0x80) {
            status = data[pos++];
        } else if (running_status) {
            status = running_status;
        } else {
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "track %d: running status with no status byte before it "
                        "(data byte 0x%02x at byte %zu)",
                        track, data[pos], event_at);
        }

        if (status < 0xf0) {
            unsigned char event[3] = {(unsigned char)status, 0, 0};
            int data_bytes = (status & 0xe0) == 0xc0 ? 1 : 2; /* program, channel pressure */
            running_status = status;
            for (int i = 0; i < data_bytes; i++) {
                if (pos >= length)
                    return fail(context->message, context->message_size, PNL_EFORMAT,
                                context->name, "track %d: ends inside an event at byte %zu",
                                track, file_offset + pos);
                if (data[pos] & 0x80)
                    return fail(context->message, context->message_size, PNL_EFORMAT,
                                context->name,
                                "track %d: status byte 0x%02x where the event at byte %zu "
                                "needs a data byte",
                                track, data[pos], event_at);
                event[1 + i] = data[pos++];
            }
            put_pending_delta(out, &pending);
            put(out, event, (size_t)(1 + data_bytes));
        } else if (status == 0xff || status == 0xf0 || status == 0xf7) {
            int type = -1;
            uint32_t meta_length;
            if (status == 0xff) {
                if (pos >= length)
                    return fail(context->message, context->message_size, PNL_EFORMAT,
                                context->name, "track %d: ends inside an event at byte %zu",
                                track, file_offset + pos);
                type = data[pos++];
            }
            if (read_vlq(data, length, &pos, &meta_length) || meta_length > length - pos)
                return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                            "track %d: the %s event at byte %zu runs past the end of its track",
                            track, status == 0xff ? "meta" : "sysex", event_at);
            if (type == 0x2f)
                break; /* end of track: anything after it is not music */
            if (type == 0x58) {
                const unsigned char *signature = data + pos;
                if (meta_length >= 2 && signature[0] >= 1 && signature[1] <= 30) {
                    unsigned char event[7] = {0xff, 0x58, 0x04, signature[0], signature[1],
                                              24, 8};
                    put_pending_delta(out, &pending);
                    put(out, event, sizeof event);
                } else {
                    context->ignored_meta++;
                }
            }
            pos += meta_length;
        } else {
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "track %d: status byte 0x%02x at byte %zu has no place in a MIDI file",
                        track, status, event_at);
        }
    }
    put_pending_delta(out, &pending);
    put(out, end_of_track, 3);
    if (pulses > context->longest_track_pulses)
        context->longest_track_pulses = pulses;
    if (!out->failed) {
        uint32_t chunk_length = (uint32_t)(out->length - length_at - 8);
        unsigned char *at = out->bytes + length_at + 4;
        at[0] = (unsigned char)(chunk_length >> 24);
        at[1] = (unsigned char)(chunk_length >> 16);
        at[2] = (unsigned char)(chunk_length >> 8);
        at[3] = (unsigned char)chunk_length;
    }
    return PNL_OK;
}

static int canonical_copy(CheckContext *context, const unsigned char *data, size_t size,
                          int *format, Bytes *out)
{
    uint32_t header_length;
    unsigned declared_tracks, division;
    size_t offset;
    unsigned tracks = 0;
    size_t tracks_at;

    if (size == 0)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "the file is empty");
    if (size < 8 || memcmp(data, "MThd", 4))
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "not a MIDI file (it does not begin with an MThd header)");
    header_length = read_u32(data + 4);
    if (header_length < 6)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "the MThd header is %u bytes long, 6 expected", (unsigned)header_length);
    if (header_length > size - 8)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "truncated: the MThd header needs %u bytes, the file holds %zu",
                    (unsigned)header_length + 8, size);
    *format = (int)read_u16(data + 8);
    declared_tracks = read_u16(data + 10);
    division = read_u16(data + 12);
    if (*format > 1)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "MIDI format %d is not supported (only formats 0 and 1)", *format);
    if (division & 0x8000)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "counts time in SMPTE frames (division 0x%04x), not ticks per quarter "
                    "note",
                    division);
    if (division == 0)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "the header says 0 ticks per quarter note (PPQ)");
    if (declared_tracks == 0)
        return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                    "the header says the file holds no tracks");
    context->ticks_per_quarter = (int)division;

    put(out, (const unsigned char *)"MThd", 4);
    put_u32(out, 6);
    tracks_at = out->length;
    {
        unsigned char fields[6] = {0, 1, 0, 0, (unsigned char)(division >> 8),
                                   (unsigned char)division};
        put(out, fields, 6);
    }
    offset = 8 + header_length;
    while (tracks < declared_tracks) {
        uint32_t chunk_length;
        if (offset >= size)
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "truncated: the header announces %u track%s, the file holds %u",
                        declared_tracks, declared_tracks == 1 ? "" : "s", tracks);
        if (size - offset < 8)
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "truncated inside the chunk header at byte %zu", offset);
        chunk_length = read_u32(data + offset + 4);
        if (chunk_length > size - offset - 8)
            return fail(context->message, context->message_size, PNL_EFORMAT, context->name,
                        "truncated or damaged: the chunk at byte %zu claims %u bytes, only %zu "
                        "follow",
                        offset, (unsigned)chunk_length, size - offset - 8);
        if (!memcmp(data + offset, "MTrk", 4)) {
            int status = copy_track(context, (int)tracks + 1, data + offset + 8, chunk_length,
                                    offset + 8, out);
            if (status)
                return status;
            tracks++;
        }
        offset += 8 + (size_t)chunk_length;
    }
    if (out->failed)
        return fail(context->message, context->message_size, PNL_ENOMEM, context->name,
                    "out of memory");
    out->bytes[tracks_at + 2] = (unsigned char)(tracks >> 8);
    out->bytes[tracks_at + 3] = (unsigned char)tracks;
    return PNL_OK;
}

/* ---- Steps 2 and 3: events, notes, pedal ------------------------------- */

enum { KIND_NOTE_OFF, KIND_PEDAL, KIND_METER, KIND_NOTE_ON };

typedef struct {
    int64_t pulses;
    int track;
    int sequence; /* order within the track */
    uint8_t kind, channel, pitch, value, value2;
} RawEvent;

typedef struct {
    int64_t on_pulses, off_pulses;
    int track; /* libsmf's track number, from 1 */
    uint8_t pitch, velocity;
} RawNote;

enum { OPEN_HELD, OPEN_SUSTAINED, OPEN_CUT };

/* A note still sounding, or one cut short whose note-off is still owed. */
typedef struct {
    size_t note;   /* index into the raw notes */
    int track;
    uint8_t channel, pitch;
    uint8_t state; /* OPEN_HELD: no note-off yet; OPEN_SUSTAINED: released under the
                    * pedal; OPEN_CUT: ended by another note of its pitch,
                    * waiting for its own note-off */
} OpenNote;

static int compare_events(const void *a_pointer, const void *b_pointer)
{
    const RawEvent *a = a_pointer, *b = b_pointer;
    if (a->pulses != b->pulses)
        return a->pulses < b->pulses ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->track != b->track)
        return a->track < b->track ? -1 : 1;
    return (a->sequence > b->sequence) - (a->sequence < b->sequence);
}

typedef struct {
    RawEvent *events;
    size_t event_count, event_capacity;
    RawNote *notes;
    size_t note_count, note_capacity;
    OpenNote *open;
    size_t open_count, open_capacity;
} Reading;

static int grow_array(void **items, size_t *capacity, size_t count, size_t item_size)
{
    if (count < *capacity)
        return 0;
    size_t new_capacity = *capacity ? *capacity * 2 : 1024;
    void *grown = realloc(*items, new_capacity * item_size);
    if (!grown)
        return -1;
    *items = grown;
    *capacity = new_capacity;
    return 0;
}

static void forget_open(Reading *reading, size_t open_index)
{
    reading->open[open_index] = reading->open[--reading->open_count];
}

static void close_note(Reading *reading, size_t open_index, int64_t pulses)
{
    reading->notes[reading->open[open_index].note].off_pulses = pulses;
    forget_open(reading, open_index);
}

static int64_t to_grid(int64_t pulses, int ticks_per_quarter)
{
    return (pulses * PNL_TICKS_PER_QUARTER * 2 + ticks_per_quarter) / (2 * ticks_per_quarter);
}

static int collect_events(smf_t *smf, Reading *reading)
{
    for (int track_number = 1; track_number <= smf->number_of_tracks; track_number++) {
        smf_track_t *track = smf_get_track_by_number(smf, track_number);
        smf_event_t *event;
        int sequence = 0;
        if (!track)
            continue;
        for (int number = 1; (event = smf_track_get_event_by_number(track, number)); number++) {
            const unsigned char *midi = event->midi_buffer;
            RawEvent raw;
            int type;
            if (event->midi_buffer_length < 1)
                continue;
            type = midi[0] & 0xf0;
            memset(&raw, 0, sizeof raw);
            raw.pulses = event->time_pulses;
            raw.track = track_number;
            raw.sequence = sequence++;
            raw.channel = midi[0] & 0x0f;
            if ((type == 0x80 || type == 0x90) && event->midi_buffer_length >= 3) {
                raw.kind = type == 0x90 && midi[2] > 0 ? KIND_NOTE_ON : KIND_NOTE_OFF;
                raw.pitch = midi[1];
                raw.value = midi[2];
            } else if (type == 0xb0 && event->midi_buffer_length >= 3 && midi[1] == 64) {
                raw.kind = KIND_PEDAL;
                raw.value = midi[2];
            } else if (midi[0] == 0xff && event->midi_buffer_length >= 5 && midi[1] == 0x58) {
                raw.kind = KIND_METER;
                raw.value = midi[3];
                raw.value2 = midi[4];
            } else {
                continue;
            }
            if (grow_array((void **)&reading->events, &reading->event_capacity,
                           reading->event_count, sizeof raw))
                return PNL_ENOMEM;
            reading->events[reading->event_count++] = raw;
        }
    }
    if (reading->event_count > 0) /* events is still NULL then, and qsort's is nonnull */
        qsort(reading->events, reading->event_count, sizeof *reading->events, compare_events);
    return PNL_OK;
}

/* `separate_tracks`: each track is its own instrument, so a pitch struck
 * again ends only the note of its own track (a violin and the piano may
 * sound one pitch together); otherwise every track is one piano. */
static int play_events(Reading *reading, PnlScore *score, int ticks_per_quarter,
                       int64_t end_pulses, int separate_tracks, PnlMidiReadStats *stats)
{
    uint8_t pedal_down[16] = {0};
    for (size_t i = 0; i < reading->event_count; i++) {
        const RawEvent *event = &reading->events[i];
        switch (event->kind) {
        case KIND_NOTE_ON: {
            RawNote note = {event->pulses, -1, event->track, event->pitch, event->value};
            /* A piano sounds one note of a pitch at a time: a new one ends
             * whatever still sounds on it, in any track or channel. A note
             * cut short in another track still owes its note-off. */
            for (size_t j = reading->open_count; j-- > 0;) {
                OpenNote *open = &reading->open[j];
                int same_voice = open->track == event->track && open->channel == event->channel;
                if (open->pitch != event->pitch || (separate_tracks && open->track != event->track))
                    continue;
                if (open->state == OPEN_CUT) {
                    if (same_voice)
                        forget_open(reading, j);
                } else if (open->state == OPEN_HELD && !same_voice) {
                    reading->notes[open->note].off_pulses = event->pulses;
                    open->state = OPEN_CUT;
                } else {
                    close_note(reading, j, event->pulses);
                }
            }
            if (grow_array((void **)&reading->notes, &reading->note_capacity,
                           reading->note_count, sizeof note) ||
                grow_array((void **)&reading->open, &reading->open_capacity,
                           reading->open_count, sizeof *reading->open))
                return PNL_ENOMEM;
            reading->open[reading->open_count++] = (OpenNote){
                reading->note_count, event->track, event->channel, event->pitch, OPEN_HELD};
            reading->notes[reading->note_count++] = note;
            stats->notes_in_file++;
            break;
        }
        case KIND_NOTE_OFF: {
            size_t found = SIZE_MAX;
            /* Its own note (held or cut short) first, then a held note of
             * that pitch in another track (files that end notes elsewhere). */
            for (size_t j = 0; j < reading->open_count && found == SIZE_MAX; j++) {
                const OpenNote *open = &reading->open[j];
                if (open->state != OPEN_SUSTAINED && open->pitch == event->pitch &&
                    open->channel == event->channel && open->track == event->track)
                    found = j;
            }
            for (size_t j = 0; j < reading->open_count && found == SIZE_MAX; j++) {
                const OpenNote *open = &reading->open[j];
                if (open->state == OPEN_HELD && open->pitch == event->pitch &&
                    open->channel == event->channel)
                    found = j;
            }
            if (found == SIZE_MAX)
                stats->unmatched_note_offs++;
            else if (reading->open[found].state == OPEN_CUT)
                forget_open(reading, found);
            else if (pedal_down[event->channel])
                reading->open[found].state = OPEN_SUSTAINED;
            else
                close_note(reading, found, event->pulses);
            break;
        }
        case KIND_PEDAL: {
            int down = event->value >= 64;
            if (pedal_down[event->channel] && !down) {
                for (size_t j = reading->open_count; j-- > 0;)
                    if (reading->open[j].state == OPEN_SUSTAINED &&
                        reading->open[j].channel == event->channel)
                        close_note(reading, j, event->pulses);
            }
            pedal_down[event->channel] = (uint8_t)down;
            break;
        }
        case KIND_METER: {
            int numerator, denominator;
            PnlMeterChange meter;
            if (pnl_meter_map(event->value, event->value2, &numerator, &denominator)) {
                stats->ignored_meta++;
                break;
            }
            meter.at_ticks = to_grid(event->pulses, ticks_per_quarter);
            meter.numerator = (uint8_t)numerator;
            meter.denominator = (uint8_t)denominator;
            if (pnl_score_add_meter(score, meter))
                return PNL_ENOMEM;
            break;
        }
        default: break;
        }
    }
    while (reading->open_count) {
        if (reading->open[reading->open_count - 1].state == OPEN_CUT)
            forget_open(reading, reading->open_count - 1);
        else
            close_note(reading, reading->open_count - 1, end_pulses);
    }

    /* Tracks are counted over those that sound, as the corpus catalogs
     * name them (a conductor track of tempo and meter has no notes). */
    int sounding_index[256];
    for (int track = 0; track < 256; track++)
        sounding_index[track] = -1;
    for (size_t i = 0; i < reading->note_count; i++)
        if (reading->notes[i].track < 256)
            sounding_index[reading->notes[i].track] = 0;
    for (int track = 0, next = 0; track < 256; track++)
        if (sounding_index[track] == 0)
            sounding_index[track] = next++;
    for (size_t i = 0; i < reading->note_count; i++) {
        const RawNote *raw = &reading->notes[i];
        int64_t onset = to_grid(raw->on_pulses, ticks_per_quarter);
        int64_t end = to_grid(raw->off_pulses, ticks_per_quarter);
        PnlNote note;
        note.onset_ticks = onset;
        note.duration_ticks = (int32_t)(end - onset < 1 ? 1 : end - onset);
        note.pitch = raw->pitch;
        note.velocity = raw->velocity;
        note.part = PNL_PART_PIANO;
        /* Read as one piano, every track is the same instrument. Tracks
         * past the 255th share the last index. */
        note.track = !separate_tracks ? 0
                     : (uint8_t)(raw->track < 256 ? sounding_index[raw->track] : 255);
        if (pnl_score_add_note(score, note))
            return PNL_ENOMEM;
    }
    return PNL_OK;
}

static int read_memory(const void *bytes, size_t size, const char *name, int separate_tracks,
                       PnlScore *score, PnlMidiReadStats *stats, char *message,
                       size_t message_size)
{
    CheckContext context = {name, message, message_size, 0, 0, 0};
    PnlMidiReadStats local_stats;
    Bytes canonical = {NULL, 0, 0, 0};
    Reading reading;
    PnlDropCounts dropped;
    smf_t *smf = NULL;
    int format = 0;
    int status;

    memset(&reading, 0, sizeof reading);
    if (!stats)
        stats = &local_stats;
    memset(stats, 0, sizeof *stats);
    pnl_score_clear(score);

    status = canonical_copy(&context, bytes, size, &format, &canonical);
    if (status)
        goto done;
    if (canonical.length > INT_MAX) {
        status = fail(message, message_size, PNL_ERANGE, name, "too large for libsmf");
        goto done;
    }
    stats->format = format;
    stats->ticks_per_quarter = context.ticks_per_quarter;
    stats->ignored_meta = context.ignored_meta;

    smf = smf_load_from_memory(canonical.bytes, (int)canonical.length);
    if (!smf) {
        status = fail(message, message_size, PNL_EFORMAT, name, "libsmf could not parse it");
        goto done;
    }
    status = collect_events(smf, &reading);
    if (!status)
        status = play_events(&reading, score, context.ticks_per_quarter,
                             context.longest_track_pulses, separate_tracks, stats);
    if (status) {
        fail(message, message_size, status, name, "out of memory");
        goto done;
    }
    pnl_score_normalize(score, &dropped);
    stats->dropped_out_of_range = dropped.out_of_range;
    stats->dropped_duplicates = dropped.duplicates;
    stats->notes_kept = score->note_count;

done:
    if (smf)
        smf_delete(smf);
    free(canonical.bytes);
    free(reading.events);
    free(reading.notes);
    free(reading.open);
    return status;
}

int pnl_midi_read_memory(const void *bytes, size_t size, const char *name, PnlScore *score,
                         PnlMidiReadStats *stats, char *message, size_t message_size)
{
    return read_memory(bytes, size, name, 0, score, stats, message, message_size);
}

/* The whole file at `path` in a new buffer (free it), at most
 * PNL_MIDI_MAX_FILE_BYTES. */
static int load_file(const char *path, unsigned char **bytes, size_t *length, char *message,
                     size_t message_size)
{
    FILE *file = fopen(path, "rb");
    struct stat info;
    long size;
    *bytes = NULL;
    if (!file)
        return fail(message, message_size, PNL_EIO, path, "cannot open: %s", strerror(errno));
    if (fstat(fileno(file), &info) || !S_ISREG(info.st_mode)) {
        fclose(file);
        return fail(message, message_size, PNL_EIO, path, "not a regular file");
    }
    if (fseek(file, 0, SEEK_END) || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET)) {
        fclose(file);
        return fail(message, message_size, PNL_EIO, path, "cannot read (not a regular file?)");
    }
    if (size > PNL_MIDI_MAX_FILE_BYTES) {
        fclose(file);
        return fail(message, message_size, PNL_ERANGE, path,
                    "%ld bytes is larger than any MIDI file Pianola reads (%d)", size,
                    PNL_MIDI_MAX_FILE_BYTES);
    }
    *bytes = malloc(size ? (size_t)size : 1);
    if (!*bytes) {
        fclose(file);
        return fail(message, message_size, PNL_ENOMEM, path, "out of memory");
    }
    if (fread(*bytes, 1, (size_t)size, file) != (size_t)size) {
        free(*bytes);
        *bytes = NULL;
        fclose(file);
        return fail(message, message_size, PNL_EIO, path, "read error");
    }
    fclose(file);
    *length = (size_t)size;
    return PNL_OK;
}

static int read_file(const char *path, int separate_tracks, PnlScore *score,
                     PnlMidiReadStats *stats, char *message, size_t message_size)
{
    unsigned char *bytes;
    size_t size;
    int status = load_file(path, &bytes, &size, message, message_size);
    if (status)
        return status;
    status = read_memory(bytes, size, path, separate_tracks, score, stats, message,
                         message_size);
    free(bytes);
    return status;
}

int pnl_midi_read(const char *path, PnlScore *score, PnlMidiReadStats *stats, char *message,
                  size_t message_size)
{
    return read_file(path, 0, score, stats, message, message_size);
}

int pnl_midi_read_tracks(const char *path, PnlScore *score, PnlMidiReadStats *stats,
                         char *message, size_t message_size)
{
    return read_file(path, 1, score, stats, message, message_size);
}

/* The role a composed file's track name gives: its label ("Violin I", as
 * pnl_midi_write names it) or its name ("violin_1"), in any case; or -1. */
static int part_of_track_name(const char *name)
{
    for (int part = 0; part < PNL_PART_COUNT; part++) {
        const PnlPartRole *role = pnl_part_role(part);
        if (!strcasecmp(name, role->label) || !strcasecmp(name, role->name))
            return part;
    }
    return -1;
}

int pnl_midi_track_parts(const char *path, int8_t *track_parts, int max_tracks,
                         int *track_count, char *message, size_t message_size)
{
    CheckContext context = {path, message, message_size, 0, 0, 0};
    Bytes canonical = {NULL, 0, 0, 0};
    unsigned char *bytes;
    size_t size;
    int format, named = 0;
    *track_count = 0;
    /* The names are read from the file as it is (the canonical copy keeps
     * none), once the structural check has passed it. */
    int status = load_file(path, &bytes, &size, message, message_size);
    if (status)
        return status;
    status = canonical_copy(&context, bytes, size, &format, &canonical);
    free(canonical.bytes);
    smf_t *smf = !status && size <= INT_MAX ? smf_load_from_memory(bytes, (int)size) : NULL;
    free(bytes);
    if (status)
        return status;
    if (!smf)
        return fail(message, message_size, PNL_EFORMAT, path, "libsmf could not parse it");
    for (int t = 1; t <= smf->number_of_tracks; t++) {
        smf_track_t *track = smf_get_track_by_number(smf, t);
        smf_event_t *event;
        int part = -1, sounds = 0, has_name = 0;
        while ((event = smf_track_get_next_event(track))) {
            const unsigned char *midi = event->midi_buffer;
            if (event->midi_buffer_length >= 2 && midi[0] == 0xff && midi[1] == 0x03 &&
                !has_name) {
                char *name = smf_event_extract_text(event);
                has_name = 1;
                part = name ? part_of_track_name(name) : -1;
                free(name);
            } else if (event->midi_buffer_length >= 3 && (midi[0] & 0xf0) == 0x90 && midi[2])
                sounds = 1;
        }
        if (!sounds)
            continue;
        if (*track_count == max_tracks) {
            smf_delete(smf);
            return fail(message, message_size, PNL_EFORMAT, path,
                        "more than %d tracks with notes", max_tracks);
        }
        named |= part >= 0;
        track_parts[(*track_count)++] = (int8_t)part;
    }
    smf_delete(smf);
    for (int t = 0; t < *track_count && !named; t++)
        track_parts[t] = PNL_PART_PIANO;
    return PNL_OK;
}

/* ---- Writing ----------------------------------------------------------- */

typedef struct {
    int64_t pulses;
    int order; /* meta first, then note-offs, then note-ons */
    size_t sequence;
    unsigned char bytes[7];
    int length;
} OutEvent;

static int compare_out_events(const void *a_pointer, const void *b_pointer)
{
    const OutEvent *a = a_pointer, *b = b_pointer;
    if (a->pulses != b->pulses)
        return a->pulses < b->pulses ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return (a->sequence > b->sequence) - (a->sequence < b->sequence);
}

static void add_event(OutEvent *events, size_t *count, int64_t pulses, int order,
                      const unsigned char *bytes, int length)
{
    OutEvent *event = &events[*count];
    event->pulses = pulses;
    event->order = order;
    event->sequence = *count;
    memcpy(event->bytes, bytes, (size_t)length);
    event->length = length;
    (*count)++;
}

static int log2_of(int value)
{
    int exponent = 0;
    while (value > 1) {
        value >>= 1;
        exponent++;
    }
    return exponent;
}

/* Adds the note events of `part` (every note when part is -1) on
 * `channel`. A pitch struck again while its last note of these still
 * sounds ends that note; `ends` is scratch of note_count. */
static void add_notes(const PnlScore *score, int part, int channel, OutEvent *events,
                      size_t *count, int64_t *ends)
{
    enum { PULSES_PER_TICK = PNL_MIDI_WRITE_PPQ / PNL_TICKS_PER_QUARTER };
    int64_t last_end[128];
    size_t last_note[128];
    for (int pitch = 0; pitch < 128; pitch++)
        last_end[pitch] = -1;
    for (size_t i = 0; i < score->note_count; i++) {
        const PnlNote *note = &score->notes[i];
        if (part >= 0 && note->part != part)
            continue;
        if (last_end[note->pitch] > note->onset_ticks)
            ends[last_note[note->pitch]] = note->onset_ticks;
        /* No note outlasts the longest piece (keeps libsmf's int pulses safe). */
        int64_t duration = note->duration_ticks < 1 ? 1
                           : note->duration_ticks > PNL_MAX_PIECE_TICKS ? PNL_MAX_PIECE_TICKS
                                                                        : note->duration_ticks;
        ends[i] = note->onset_ticks + duration;
        last_end[note->pitch] = ends[i];
        last_note[note->pitch] = i;
    }
    for (size_t i = 0; i < score->note_count; i++) {
        const PnlNote *note = &score->notes[i];
        if (part >= 0 && note->part != part)
            continue;
        int velocity = note->velocity < 1 ? 1 : note->velocity > 127 ? 127 : note->velocity;
        unsigned char note_on[3] = {(unsigned char)(0x90 | channel), note->pitch,
                                    (unsigned char)velocity};
        unsigned char note_off[3] = {(unsigned char)(0x80 | channel), note->pitch, 64};
        add_event(events, count, note->onset_ticks * PULSES_PER_TICK, 2, note_on, 3);
        /* A note cut to nothing by a repeated pitch at its own onset is not written. */
        if (ends[i] > note->onset_ticks)
            add_event(events, count, ends[i] * PULSES_PER_TICK, 1, note_off, 3);
        else
            (*count)--;
    }
}

/* Sorts `events` into a new track of `smf`, named `name` when not NULL,
 * ending at `final_pulses`. */
static int write_track(smf_t *smf, OutEvent *events, size_t count, const char *name,
                       int64_t final_pulses)
{
    smf_track_t *track = smf_track_new();
    if (!track)
        return PNL_ENOMEM;
    smf_add_track(smf, track);
    qsort(events, count, sizeof *events, compare_out_events);
    if (name) {
        smf_event_t *event = smf_event_new_textual(0x03, name); /* the track's name */
        if (!event)
            return PNL_ENOMEM;
        smf_track_add_event_pulses(track, event, 0);
    }
    for (size_t i = 0; i < count; i++) {
        smf_event_t *event = smf_event_new_from_pointer(events[i].bytes, events[i].length);
        if (!event)
            return PNL_ENOMEM;
        smf_track_add_event_pulses(track, event, (int)events[i].pulses);
    }
    return smf_track_add_eot_pulses(track, (int)final_pulses) ? PNL_EIO : PNL_OK;
}

int pnl_midi_write(const char *path, const PnlScore *score, double tempo_bpm, char *message,
                   size_t message_size)
{
    enum { PULSES_PER_TICK = PNL_MIDI_WRITE_PPQ / PNL_TICKS_PER_QUARTER };
    size_t capacity = 2 * score->note_count + score->meter_count + 3 + PNL_PART_COUNT;
    OutEvent *events;
    size_t count = 0;
    int64_t *ends;
    smf_t *smf = NULL;
    int64_t final_pulses = 0;
    uint32_t microseconds_per_quarter;
    int status = PNL_OK;
    FILE *probe;

    if (!(tempo_bpm >= 1.0 && tempo_bpm <= 1000.0))
        return fail(message, message_size, PNL_EINVAL, path,
                    "a tempo of %g BPM is outside 1..1000", tempo_bpm);
    for (size_t i = 0; i < score->note_count; i++)
        if (score->notes[i].onset_ticks < 0 ||
            score->notes[i].onset_ticks > PNL_MAX_PIECE_TICKS || score->notes[i].pitch > 127 ||
            (i > 0 && score->notes[i].onset_ticks < score->notes[i - 1].onset_ticks))
            return fail(message, message_size, PNL_EINVAL, path,
                        "note %zu is out of order or range", i);
    for (size_t i = 0; i < score->meter_count; i++)
        if (score->meters[i].at_ticks < 0 || score->meters[i].at_ticks > PNL_MAX_PIECE_TICKS ||
            pnl_token_meter(score->meters[i].numerator, score->meters[i].denominator) < 0)
            return fail(message, message_size, PNL_EINVAL, path,
                        "meter change %zu (%d/%d at tick %lld) is out of range", i,
                        score->meters[i].numerator, score->meters[i].denominator,
                        (long long)score->meters[i].at_ticks);
    if (score->parts >> PNL_PART_COUNT)
        return fail(message, message_size, PNL_EINVAL, path,
                    "the score declares a role beyond the %d Pianola knows", PNL_PART_COUNT);
    probe = fopen(path, "wb");
    if (!probe)
        return fail(message, message_size, PNL_EIO, path, "cannot create the file");
    fclose(probe);

    events = calloc(capacity, sizeof *events);
    ends = malloc((score->note_count ? score->note_count : 1) * sizeof *ends);
    smf = smf_new();
    if (!events || !ends || !smf) {
        status = fail(message, message_size, PNL_ENOMEM, path, "out of memory");
        goto done;
    }
    /* A piano piece is one format-0 track; an ensemble's is format 1, a
     * first track of tempo and meters, then one track per part, named and
     * with its program on its own channel, so a host records each part to
     * a track of its own. */
    if (smf_set_ppqn(smf, PNL_MIDI_WRITE_PPQ) || smf_set_format(smf, score->parts ? 1 : 0)) {
        status = fail(message, message_size, PNL_EINVAL, path, "libsmf refused the header");
        goto done;
    }
    microseconds_per_quarter = (uint32_t)lround(60e6 / tempo_bpm);
    if (microseconds_per_quarter > 0xffffff)
        microseconds_per_quarter = 0xffffff;
    {
        unsigned char tempo[6] = {0xff, 0x51, 0x03, (unsigned char)(microseconds_per_quarter >> 16),
                                  (unsigned char)(microseconds_per_quarter >> 8),
                                  (unsigned char)microseconds_per_quarter};
        static const unsigned char common_time[7] = {0xff, 0x58, 0x04, 4, 2, 24, 8};
        static const unsigned char acoustic_grand[2] = {0xc0, 0x00};
        add_event(events, &count, 0, 0, tempo, 6);
        if (score->meter_count == 0 || score->meters[0].at_ticks > 0)
            add_event(events, &count, 0, 0, common_time, 7);
        if (!score->parts)
            add_event(events, &count, 0, 0, acoustic_grand, 2);
    }
    for (size_t i = 0; i < score->meter_count; i++) {
        const PnlMeterChange *meter = &score->meters[i];
        unsigned char signature[7] = {0xff, 0x58, 0x04, meter->numerator,
                                      (unsigned char)log2_of(meter->denominator), 24, 8};
        add_event(events, &count, meter->at_ticks * PULSES_PER_TICK, 0, signature, 7);
    }
    if (!score->parts)
        add_notes(score, -1, 0, events, &count, ends);
    else
        for (int part = 0; part < PNL_PART_COUNT; part++)
            if (score->parts >> part & 1u)
                add_notes(score, part, pnl_part_channel(part), events, &count, ends);
    for (size_t i = 0; i < count; i++)
        if (events[i].pulses > final_pulses)
            final_pulses = events[i].pulses;

    if (!score->parts) {
        status = write_track(smf, events, count, NULL, final_pulses);
    } else {
        count = 0; /* the events again, one track at a time */
        add_event(events, &count, 0, 0, (const unsigned char[6]){0xff, 0x51, 0x03,
                  (unsigned char)(microseconds_per_quarter >> 16),
                  (unsigned char)(microseconds_per_quarter >> 8),
                  (unsigned char)microseconds_per_quarter}, 6);
        if (score->meter_count == 0 || score->meters[0].at_ticks > 0)
            add_event(events, &count, 0, 0, (const unsigned char[7]){0xff, 0x58, 0x04, 4, 2, 24, 8},
                      7);
        for (size_t i = 0; i < score->meter_count; i++) {
            const PnlMeterChange *meter = &score->meters[i];
            unsigned char signature[7] = {0xff, 0x58, 0x04, meter->numerator,
                                          (unsigned char)log2_of(meter->denominator), 24, 8};
            add_event(events, &count, meter->at_ticks * PULSES_PER_TICK, 0, signature, 7);
        }
        status = write_track(smf, events, count, NULL, final_pulses);
        for (int part = 0; part < PNL_PART_COUNT && !status; part++) {
            if (!(score->parts >> part & 1u))
                continue;
            const PnlPartRole *role = pnl_part_role(part);
            int channel = pnl_part_channel(part);
            unsigned char program[2] = {(unsigned char)(0xc0 | channel), role->program};
            count = 0;
            add_event(events, &count, 0, 0, program, 2);
            add_notes(score, part, channel, events, &count, ends);
            status = write_track(smf, events, count, role->label, final_pulses);
        }
    }
    if (status == PNL_ENOMEM)
        status = fail(message, message_size, PNL_ENOMEM, path, "out of memory");
    else if (status || smf_save(smf, path))
        status = fail(message, message_size, PNL_EIO, path, "libsmf could not write the file");

done:
    if (smf)
        smf_delete(smf);
    free(events);
    free(ends);
    return status;
}
