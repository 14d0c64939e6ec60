/* Save and restore; see state.h.
 *
 * Notes are stored as pianola:TimelineNotes: a 16-byte header ("PNTL",
 * format version 1, the horizon in ticks, the note count) and 16 bytes per
 * note (onset and duration in ticks as int32, pitch, velocity, origin,
 * velocity shape as bytes, timing shape as float32), all little-endian.
 * Settings are pianola:settings: seven 32-bit fields. A state from another
 * version, or one that does not parse, is refused item by item with a
 * message to the host log, and the plugin carries on with defaults. */
#include "state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pianola.h"
#include "worker.h"

enum { STATE_VERSION = 1, NOTES_HEADER = 16, NOTE_RECORD = 16, SETTINGS_SIZE = 28 };

static void put_u32(uint8_t *bytes, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        bytes[i] = (uint8_t)(value >> (8 * i));
}

static uint32_t get_u32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

static void put_f32(uint8_t *bytes, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, 4);
    put_u32(bytes, bits);
}

static float get_f32(const uint8_t *bytes)
{
    uint32_t bits = get_u32(bytes);
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

static uint8_t *encode_notes(const PnlTimelineNote *notes, uint32_t count, int32_t horizon_ticks,
                             size_t *size)
{
    *size = NOTES_HEADER + (size_t)count * NOTE_RECORD;
    uint8_t *bytes = malloc(*size);
    if (!bytes)
        return NULL;
    memcpy(bytes, "PNTL", 4);
    put_u32(bytes + 4, STATE_VERSION);
    put_u32(bytes + 8, (uint32_t)horizon_ticks);
    put_u32(bytes + 12, count);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *record = bytes + NOTES_HEADER + (size_t)i * NOTE_RECORD;
        put_u32(record, (uint32_t)notes[i].onset_ticks);
        put_u32(record + 4, (uint32_t)notes[i].duration_ticks);
        record[8] = notes[i].pitch;
        record[9] = notes[i].velocity;
        record[10] = notes[i].origin;
        record[11] = (uint8_t)notes[i].velocity_shape;
        put_f32(record + 12, notes[i].timing_shape_ms);
    }
    return bytes;
}

/* Parses and checks; NULL with a message when the bytes are not notes. */
static PnlTimelineNote *decode_notes(const uint8_t *bytes, size_t size, uint32_t capacity,
                                     uint32_t *count, int32_t *horizon_ticks, char *message,
                                     size_t message_size)
{
    if (size < NOTES_HEADER || memcmp(bytes, "PNTL", 4) != 0) {
        snprintf(message, message_size, "not Pianola notes");
        return NULL;
    }
    uint32_t version = get_u32(bytes + 4);
    if (version != STATE_VERSION) {
        snprintf(message, message_size, "notes of format version %u; this Pianola reads %d",
                 version, STATE_VERSION);
        return NULL;
    }
    uint32_t stored = get_u32(bytes + 12);
    if (stored > capacity || (size - NOTES_HEADER) / NOTE_RECORD < stored) {
        snprintf(message, message_size, "%u notes claimed in %zu bytes (at most %u fit)", stored,
                 size, capacity);
        return NULL;
    }
    *horizon_ticks = (int32_t)get_u32(bytes + 8);
    PnlTimelineNote *notes = calloc(stored ? stored : 1, sizeof *notes);
    if (!notes) {
        snprintf(message, message_size, "out of memory");
        return NULL;
    }
    uint32_t kept = 0;
    int32_t last_onset = 0;
    for (uint32_t i = 0; i < stored; i++) {
        const uint8_t *record = bytes + NOTES_HEADER + (size_t)i * NOTE_RECORD;
        PnlTimelineNote note = {.onset_ticks = (int32_t)get_u32(record),
                                .duration_ticks = (int32_t)get_u32(record + 4),
                                .pitch = record[8],
                                .velocity = record[9],
                                .origin = record[10],
                                .velocity_shape = (int8_t)record[11],
                                .timing_shape_ms = get_f32(record + 12)};
        /* Malformed notes are dropped, not trusted. */
        if (note.onset_ticks < last_onset || note.duration_ticks < 1 || note.pitch > 127 ||
            note.velocity < 1 || note.velocity > 127 || note.origin > PNL_ORIGIN_LIVE ||
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

static const void *feature(const LV2_Feature *const *features, const char *uri)
{
    for (int i = 0; features && features[i]; i++)
        if (!strcmp(features[i]->URI, uri))
            return features[i]->data;
    return NULL;
}

LV2_State_Status pnl_state_save(LV2_Handle instance, LV2_State_Store_Function store,
                                LV2_State_Handle handle, uint32_t flags,
                                const LV2_Feature *const *features)
{
    (void)flags;
    Pianola *self = instance;
    const PnlUris *uris = &self->uris;
    uint32_t pod = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;

    int32_t version = STATE_VERSION;
    store(handle, uris->pianola_stateVersion, &version, sizeof version, uris->atom_Int, pod);

    size_t size = 0;
    uint32_t count = pnl_timeline_count(self->timeline);
    uint8_t *bytes = encode_notes(pnl_timeline_notes(self->timeline), count,
                                  pnl_timeline_horizon_ticks(self->timeline), &size);
    if (!bytes)
        return LV2_STATE_ERR_UNKNOWN;
    store(handle, uris->pianola_timeline, bytes, size, uris->pianola_TimelineNotes, pod);
    free(bytes);

    uint32_t prompt_count = atomic_load_explicit(&self->prompt_count, memory_order_acquire);
    bytes = encode_notes(self->prompt, prompt_count, 0, &size);
    if (!bytes)
        return LV2_STATE_ERR_UNKNOWN;
    store(handle, uris->pianola_prompt, bytes, size, uris->pianola_TimelineNotes, pod);
    free(bytes);

    if (atomic_load_explicit(&self->has_saved_settings, memory_order_acquire)) {
        const PnlComposeSettings *settings = &self->saved_settings;
        uint8_t packed[SETTINGS_SIZE];
        put_u32(packed, (uint32_t)settings->composer_choice);
        put_f32(packed + 4, settings->temperature);
        put_f32(packed + 8, settings->top_p);
        put_u32(packed + 12, settings->seed);
        put_u32(packed + 16, settings->variation);
        put_u32(packed + 20, (uint32_t)settings->bar_ticks);
        put_u32(packed + 24, (uint32_t)settings->beat_ticks);
        store(handle, uris->pianola_settings, packed, sizeof packed, uris->pianola_settings, pod);
    }

    if (self->soundfont_path[0]) {
        const LV2_State_Map_Path *map_path = feature(features, LV2_STATE__mapPath);
        const LV2_State_Free_Path *free_path = feature(features, LV2_STATE__freePath);
        char *abstract = map_path ? map_path->abstract_path(map_path->handle, self->soundfont_path)
                                  : NULL;
        const char *path = abstract ? abstract : self->soundfont_path;
        store(handle, uris->pianola_soundfont, path, strlen(path) + 1, uris->atom_Path,
              LV2_STATE_IS_POD);
        if (abstract) {
            if (free_path)
                free_path->free_path(free_path->handle, abstract);
            else
                free(abstract);
        }
    }
    return LV2_STATE_SUCCESS;
}

LV2_State_Status pnl_state_restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve,
                                   LV2_State_Handle handle, uint32_t flags,
                                   const LV2_Feature *const *features)
{
    (void)flags;
    Pianola *self = instance;
    const PnlUris *uris = &self->uris;
    size_t size = 0;
    uint32_t type = 0, value_flags = 0;
    char message[PNL_MESSAGE_SIZE] = "";

    const void *value = retrieve(handle, uris->pianola_stateVersion, &size, &type, &value_flags);
    if (value && type == uris->atom_Int && size == sizeof(int32_t) &&
        *(const int32_t *)value != STATE_VERSION)
        lv2_log_warning(&self->logger, "Pianola: state of version %d; reading what fits\n",
                        *(const int32_t *)value);

    PnlRestoredState *state = calloc(1, sizeof *state);
    if (!state)
        return LV2_STATE_ERR_UNKNOWN;

    value = retrieve(handle, uris->pianola_timeline, &size, &type, &value_flags);
    if (value && type == uris->pianola_TimelineNotes) {
        state->notes = decode_notes(value, size, pnl_timeline_capacity(self->timeline),
                                    &state->note_count, &state->horizon_ticks, message,
                                    sizeof message);
        if (!state->notes)
            lv2_log_warning(&self->logger, "Pianola: saved timeline ignored: %s\n", message);
    } else if (value) {
        lv2_log_warning(&self->logger,
                        "Pianola: saved timeline ignored: not stored as pianola:TimelineNotes\n");
    }
    value = retrieve(handle, uris->pianola_prompt, &size, &type, &value_flags);
    if (value && type == uris->pianola_TimelineNotes) {
        int32_t unused = 0;
        state->prompt = decode_notes(value, size, PNL_PROMPT_CAPACITY, &state->prompt_count,
                                     &unused, message, sizeof message);
        if (!state->prompt)
            lv2_log_warning(&self->logger, "Pianola: saved prompt ignored: %s\n", message);
    } else if (value) {
        lv2_log_warning(&self->logger,
                        "Pianola: saved prompt ignored: not stored as pianola:TimelineNotes\n");
    }
    value = retrieve(handle, uris->pianola_settings, &size, &type, &value_flags);
    if (value && type == uris->pianola_settings && size == SETTINGS_SIZE) {
        const uint8_t *packed = value;
        PnlComposeSettings settings = {.composer_choice = (int32_t)get_u32(packed),
                                       .temperature = get_f32(packed + 4),
                                       .top_p = get_f32(packed + 8),
                                       .seed = get_u32(packed + 12),
                                       .variation = get_u32(packed + 16),
                                       .bar_ticks = (int32_t)get_u32(packed + 20),
                                       .beat_ticks = (int32_t)get_u32(packed + 24)};
        if (settings.composer_choice >= 0 && settings.composer_choice < PNL_COMPOSER_CHOICE_COUNT &&
            isfinite(settings.temperature) && isfinite(settings.top_p) &&
            settings.bar_ticks > 0 && settings.bar_ticks <= 192 && settings.beat_ticks > 0 &&
            settings.beat_ticks <= settings.bar_ticks) {
            state->settings = settings;
            state->has_settings = 1;
        } else {
            lv2_log_warning(&self->logger, "Pianola: saved settings out of range; ignored\n");
        }
    } else if (value) {
        lv2_log_warning(&self->logger,
                        "Pianola: saved settings ignored: %zu bytes of another type or size "
                        "(pianola:settings is %d bytes)\n", size, SETTINGS_SIZE);
    }
    value = retrieve(handle, uris->pianola_soundfont, &size, &type, &value_flags);
    if (value && (type == uris->atom_Path || type == uris->atom_String) && size > 0 &&
        size < PNL_PATH_SIZE && memchr(value, '\0', size)) {
        const LV2_State_Map_Path *map_path = feature(features, LV2_STATE__mapPath);
        const LV2_State_Free_Path *free_path = feature(features, LV2_STATE__freePath);
        char *absolute = map_path ? map_path->absolute_path(map_path->handle, value) : NULL;
        snprintf(state->soundfont_path, sizeof state->soundfont_path, "%s",
                 absolute ? absolute : (const char *)value);
        if (absolute) {
            if (free_path)
                free_path->free_path(free_path->handle, absolute);
            else
                free(absolute);
        }
    } else if (value) {
        lv2_log_warning(&self->logger,
                        "Pianola: saved SoundFont ignored: not a path of fewer than %d bytes; "
                        "keeping the SoundFont in use\n", PNL_PATH_SIZE);
    }
    if (state->notes && state->horizon_ticks < 0)
        state->horizon_ticks = 0;
    if (!state->notes)
        state->horizon_ticks = 0;

    /* run() hands it to the worker; an earlier one not yet taken is dropped. */
    PnlRestoredState *earlier =
        atomic_exchange_explicit(&self->pending_restore, state, memory_order_acq_rel);
    pnl_restored_state_free(earlier);
    return LV2_STATE_SUCCESS;
}
