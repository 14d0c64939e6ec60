/* The saved state's bytes; see state_encoding.h. */
#include "state_encoding.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "ports.h"
#include "status.h"
#include "uris.h"

/* A note of format 1 took 16 bytes; format 2 adds the model's velocity,
 * format 3 the part. */
enum { NOTES_HEADER = 16, NOTE_RECORD_1 = 16, NOTE_RECORD_2 = 17, NOTE_RECORD = 18 };

uint8_t *pnl_state_encode_notes(const PnlTimelineNote *notes, uint32_t count,
                                int32_t horizon_ticks, size_t *size)
{
    *size = NOTES_HEADER + (size_t)count * NOTE_RECORD;
    uint8_t *bytes = malloc(*size);
    if (!bytes)
        return NULL;
    memcpy(bytes, "PNTL", 4);
    pnl_write_le32(bytes + 4, PNL_NOTES_FORMAT_VERSION);
    pnl_write_le32(bytes + 8, (uint32_t)horizon_ticks);
    pnl_write_le32(bytes + 12, count);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *record = bytes + NOTES_HEADER + (size_t)i * NOTE_RECORD;
        pnl_write_le32(record, (uint32_t)notes[i].onset_ticks);
        pnl_write_le32(record + 4, (uint32_t)notes[i].duration_ticks);
        record[8] = notes[i].pitch;
        record[9] = notes[i].velocity;
        record[10] = notes[i].origin;
        record[11] = (uint8_t)notes[i].velocity_shape;
        pnl_write_le_f32(record + 12, notes[i].timing_shape_ms);
        record[16] = notes[i].model_velocity;
        record[17] = notes[i].part;
    }
    return bytes;
}

PnlTimelineNote *pnl_state_decode_notes(const uint8_t *bytes, size_t size, uint32_t capacity,
                                        uint32_t *count, int32_t *horizon_ticks, char *message,
                                        size_t message_size)
{
    if (size < NOTES_HEADER || memcmp(bytes, "PNTL", 4) != 0) {
        snprintf(message, message_size, "not Pianola notes");
        return NULL;
    }
    uint32_t version = pnl_read_le32(bytes + 4);
    if (version < 1 || version > PNL_NOTES_FORMAT_VERSION) {
        snprintf(message, message_size, "notes of format version %u; this Pianola reads 1 to %d",
                 version, PNL_NOTES_FORMAT_VERSION);
        return NULL;
    }
    size_t record_size = version == 1 ? NOTE_RECORD_1 : version == 2 ? NOTE_RECORD_2 : NOTE_RECORD;
    uint32_t stored = pnl_read_le32(bytes + 12);
    if (stored > capacity || (size - NOTES_HEADER) / record_size < stored) {
        snprintf(message, message_size, "%u notes claimed in %zu bytes (at most %u fit)", stored,
                 size, capacity);
        return NULL;
    }
    *horizon_ticks = (int32_t)pnl_read_le32(bytes + 8);
    PnlTimelineNote *notes = calloc(stored ? stored : 1, sizeof *notes);
    if (!notes) {
        snprintf(message, message_size, "out of memory");
        return NULL;
    }
    uint32_t kept = 0;
    int32_t last_onset = 0;
    for (uint32_t i = 0; i < stored; i++) {
        const uint8_t *record = bytes + NOTES_HEADER + (size_t)i * record_size;
        PnlTimelineNote note = {.onset_ticks = (int32_t)pnl_read_le32(record),
                                .duration_ticks = (int32_t)pnl_read_le32(record + 4),
                                .pitch = record[8],
                                .velocity = record[9],
                                .origin = record[10],
                                .velocity_shape = (int8_t)record[11],
                                .timing_shape_ms = pnl_read_le_f32(record + 12),
                                .model_velocity = version == 1 ? 0 : record[16],
                                .part = version < 3 ? PNL_PART_PIANO : record[17]};
        if (note.onset_ticks < last_onset || note.duration_ticks < 1 || note.pitch > 127 ||
            note.velocity < 1 || note.velocity > 127 || note.model_velocity > 127 ||
            note.origin > PNL_ORIGIN_LIVE || note.part >= PNL_PART_COUNT ||
            !isfinite(note.timing_shape_ms))
            continue;
        last_onset = note.onset_ticks;
        notes[kept++] = note;
    }
    if (*horizon_ticks < last_onset)
        *horizon_ticks = last_onset;
    *count = kept;
    return notes;
}

void pnl_state_encode_settings(const PnlComposeSettings *settings,
                               uint8_t bytes[PNL_STATE_SETTINGS_SIZE])
{
    pnl_write_le32(bytes, (uint32_t)settings->composer_choice);
    pnl_write_le_f32(bytes + 4, settings->temperature);
    pnl_write_le_f32(bytes + 8, settings->top_p);
    pnl_write_le32(bytes + 12, settings->seed);
    pnl_write_le32(bytes + 16, settings->variation);
    pnl_write_le32(bytes + 20, (uint32_t)settings->bar_ticks);
    pnl_write_le32(bytes + 24, (uint32_t)settings->beat_ticks);
    pnl_write_le32(bytes + 28, (uint32_t)settings->key_choice);
    pnl_write_le32(bytes + 32, (uint32_t)settings->register_lowest);
    pnl_write_le32(bytes + 36, (uint32_t)settings->register_highest);
    pnl_write_le32(bytes + 40, (uint32_t)settings->dynamics);
    pnl_write_le32(bytes + 44, (uint32_t)settings->density);
    pnl_write_le32(bytes + 48, (uint32_t)settings->ensemble);
}

/* Whether a port's value is one the table allows. */
static int in_port_range(int port, int32_t value)
{
    const PnlControlSpec *spec = pnl_control_spec(port);
    return value >= spec->minimum && value <= spec->maximum;
}

int pnl_state_settings_size_known(size_t size)
{
    return size == PNL_STATE_SETTINGS_SIZE || size == PNL_STATE_SETTINGS_SIZE_BEFORE_ENSEMBLES ||
           size == PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY ||
           size == PNL_STATE_SETTINGS_SIZE_BEFORE_STEERING;
}

int pnl_state_decode_settings(const uint8_t *bytes, size_t size, PnlComposeSettings *settings)
{
    if (!pnl_state_settings_size_known(size))
        return PNL_ERANGE;
    PnlComposeSettings read = {.composer_choice = (int32_t)pnl_read_le32(bytes),
                               .temperature = pnl_read_le_f32(bytes + 4),
                               .top_p = pnl_read_le_f32(bytes + 8),
                               .seed = pnl_read_le32(bytes + 12),
                               .variation = pnl_read_le32(bytes + 16),
                               .bar_ticks = (int32_t)pnl_read_le32(bytes + 20),
                               .beat_ticks = (int32_t)pnl_read_le32(bytes + 24),
                               .key_choice = PNL_KEY_AUTOMATIC,
                               .register_lowest = PNL_LOWEST_PITCH,
                               .register_highest = PNL_HIGHEST_PITCH,
                               .dynamics = PNL_DYNAMICS_AS_COMPOSED,
                               .density = PNL_DENSITY_AUTOMATIC};
    if (size >= PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY) {
        read.key_choice = (int32_t)pnl_read_le32(bytes + 28);
        read.register_lowest = (int32_t)pnl_read_le32(bytes + 32);
        read.register_highest = (int32_t)pnl_read_le32(bytes + 36);
        read.dynamics = (int32_t)pnl_read_le32(bytes + 40);
    }
    if (size >= PNL_STATE_SETTINGS_SIZE_BEFORE_ENSEMBLES)
        read.density = (int32_t)pnl_read_le32(bytes + 44);
    if (size >= PNL_STATE_SETTINGS_SIZE)
        read.ensemble = (int32_t)pnl_read_le32(bytes + 48);
    /* Bars of at most 8 quarter notes: what the transport gives. */
    if (!(read.composer_choice >= 0 && read.composer_choice < PNL_COMPOSER_MAX_CHOICES &&
          isfinite(read.temperature) && isfinite(read.top_p) && read.bar_ticks > 0 &&
          read.bar_ticks <= 192 && read.beat_ticks > 0 && read.beat_ticks <= read.bar_ticks &&
          in_port_range(PNL_PORT_KEY, read.key_choice) &&
          in_port_range(PNL_PORT_REGISTER_LOWEST, read.register_lowest) &&
          in_port_range(PNL_PORT_REGISTER_HIGHEST, read.register_highest) &&
          in_port_range(PNL_PORT_DYNAMICS, read.dynamics) &&
          in_port_range(PNL_PORT_DENSITY, read.density) &&
          in_port_range(PNL_PORT_ENSEMBLE, read.ensemble)))
        return PNL_ERANGE;
    *settings = read;
    return PNL_OK;
}
