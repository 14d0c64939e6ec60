/* Save and restore; see state.h. The bytes of each item are written and
 * checked in state_encoding.c. A state from another version, or one that
 * does not parse, is refused item by item with a message to the host log,
 * and the plugin carries on with defaults. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pianola.h"
#include "state_encoding.h"
#include "status.h"
#include "worker.h"

/* 2: the captured prompt is saved once, as the timeline's PNL_ORIGIN_PROMPT
 * notes. 1 saved it a second time under pianola:prompt, which is no longer
 * read: the same notes are in its timeline, and they are what plays. */
enum { STATE_VERSION = 2, OLDEST_STATE_VERSION = 1 };

static const void *feature(const LV2_Feature *const *features, const char *uri)
{
    for (int i = 0; features && features[i]; i++)
        if (!strcmp(features[i]->URI, uri))
            return features[i]->data;
    return NULL;
}

/* Stores `path` under `key` as an atom:Path, made portable by the host's
 * state:mapPath where it has one. */
static void store_path(Pianola *self, LV2_State_Store_Function store, LV2_State_Handle handle,
                       const LV2_Feature *const *features, LV2_URID key, const char *path)
{
    const LV2_State_Map_Path *map_path = feature(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *free_path = feature(features, LV2_STATE__freePath);
    char *abstract = map_path ? map_path->abstract_path(map_path->handle, path) : NULL;
    const char *stored = abstract ? abstract : path;
    store(handle, key, stored, strlen(stored) + 1, self->host.uris.atom_Path, LV2_STATE_IS_POD);
    if (abstract) {
        if (free_path)
            free_path->free_path(free_path->handle, abstract);
        else
            free(abstract);
    }
}

/* The absolute path of a stored one into `path`; 0, or -1 (and a log line
 * naming `what` and what follows) for a value that is no path of fewer
 * than PNL_PATH_SIZE bytes. */
static int retrieve_path(Pianola *self, const void *value, size_t size, uint32_t type,
                         const LV2_Feature *const *features, const char *what,
                         const char *instead, char *path)
{
    const PnlUris *uris = &self->host.uris;
    if (!((type == uris->atom_Path || type == uris->atom_String) && size > 0 &&
          size < PNL_PATH_SIZE && memchr(value, '\0', size))) {
        lv2_log_warning(&self->host.logger,
                        "Pianola: saved %s ignored: not a path of fewer than %d bytes; %s\n",
                        what, PNL_PATH_SIZE, instead);
        return -1;
    }
    const LV2_State_Map_Path *map_path = feature(features, LV2_STATE__mapPath);
    const LV2_State_Free_Path *free_path = feature(features, LV2_STATE__freePath);
    char *absolute = map_path ? map_path->absolute_path(map_path->handle, value) : NULL;
    snprintf(path, PNL_PATH_SIZE, "%s", absolute ? absolute : (const char *)value);
    if (absolute) {
        if (free_path)
            free_path->free_path(free_path->handle, absolute);
        else
            free(absolute);
    }
    return 0;
}

LV2_State_Status pnl_state_save(LV2_Handle instance, LV2_State_Store_Function store,
                                LV2_State_Handle handle, uint32_t flags,
                                const LV2_Feature *const *features)
{
    (void)flags;
    Pianola *self = instance;
    const PnlUris *uris = &self->host.uris;
    uint32_t pod = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;

    int32_t version = STATE_VERSION;
    store(handle, uris->pianola_stateVersion, &version, sizeof version, uris->atom_Int, pod);

    size_t size = 0;
    uint32_t count = pnl_timeline_count(self->timeline);
    uint8_t *bytes = pnl_state_encode_notes(pnl_timeline_notes(self->timeline), count,
                                            pnl_timeline_horizon_ticks(self->timeline), &size);
    if (!bytes)
        return LV2_STATE_ERR_UNKNOWN;
    store(handle, uris->pianola_timeline, bytes, size, uris->pianola_TimelineNotes, pod);
    free(bytes);

    if (atomic_load_explicit(&self->worker.has_saved_settings, memory_order_acquire)) {
        uint8_t packed[PNL_STATE_SETTINGS_SIZE];
        pnl_state_encode_settings(&self->worker.saved_settings, packed);
        store(handle, uris->pianola_settings, packed, sizeof packed, uris->pianola_settings, pod);
        /* Where the engine's memory of the music began (src/engine.h). */
        int32_t memory_from = self->worker.saved_memory_from_ticks;
        store(handle, uris->pianola_memoryFrom, &memory_from, sizeof memory_from,
              uris->atom_Int, pod);
        /* The composer by name too: a model whose list changed by the time
         * the session is opened again still finds it. */
        const PnlModelInfo *model = &self->model;
        int32_t choice = self->worker.saved_settings.composer_choice;
        if (choice >= 0 && choice < model->choice_count)
            store(handle, uris->pianola_composer, model->names[choice],
                  strlen(model->names[choice]) + 1, uris->atom_String, pod);
    }
    /* The bundled model is the default, and goes unsaved: a session opened
     * where the bundle lies elsewhere finds it there. */
    if (self->model.choice_count && !self->model.bundled)
        store_path(self, store, handle, features, uris->pianola_model, self->model.path);

    if (self->soundfont_path[0])
        store_path(self, store, handle, features, uris->pianola_soundfont, self->soundfont_path);
    return LV2_STATE_SUCCESS;
}

LV2_State_Status pnl_state_restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve,
                                   LV2_State_Handle handle, uint32_t flags,
                                   const LV2_Feature *const *features)
{
    (void)flags;
    Pianola *self = instance;
    const PnlUris *uris = &self->host.uris;
    size_t size = 0;
    uint32_t type = 0, value_flags = 0;
    char message[PNL_MESSAGE_SIZE] = "";

    const void *value = retrieve(handle, uris->pianola_stateVersion, &size, &type, &value_flags);
    if (value && type == uris->atom_Int && size == sizeof(int32_t) &&
        (*(const int32_t *)value < OLDEST_STATE_VERSION ||
         *(const int32_t *)value > STATE_VERSION))
        lv2_log_warning(&self->host.logger, "Pianola: state of version %d; reading what fits\n",
                        *(const int32_t *)value);

    PnlRestoredState *state = calloc(1, sizeof *state);
    if (!state)
        return LV2_STATE_ERR_UNKNOWN;

    value = retrieve(handle, uris->pianola_timeline, &size, &type, &value_flags);
    if (value && type == uris->pianola_TimelineNotes) {
        state->notes = pnl_state_decode_notes(value, size, pnl_timeline_capacity(self->timeline),
                                              &state->note_count, &state->horizon_ticks,
                                              message, sizeof message);
        if (!state->notes)
            lv2_log_warning(&self->host.logger, "Pianola: saved timeline ignored: %s\n", message);
    } else if (value) {
        lv2_log_warning(&self->host.logger,
                        "Pianola: saved timeline ignored: not stored as pianola:TimelineNotes\n");
    }
    value = retrieve(handle, uris->pianola_settings, &size, &type, &value_flags);
    if (value && type == uris->pianola_settings && pnl_state_settings_size_known(size)) {
        if (pnl_state_decode_settings(value, size, &state->settings) == PNL_OK)
            state->has_settings = 1;
        else
            lv2_log_warning(&self->host.logger, "Pianola: saved settings out of range; ignored\n");
    } else if (value) {
        lv2_log_warning(&self->host.logger,
                        "Pianola: saved settings ignored: %zu bytes of another type or size "
                        "(pianola:settings is %d bytes)\n", size, PNL_STATE_SETTINGS_SIZE);
    }
    state->memory_from_ticks = -1;
    value = retrieve(handle, uris->pianola_memoryFrom, &size, &type, &value_flags);
    if (value && type == uris->atom_Int && size == sizeof(int32_t) &&
        *(const int32_t *)value >= 0)
        state->memory_from_ticks = *(const int32_t *)value;
    value = retrieve(handle, uris->pianola_soundfont, &size, &type, &value_flags);
    if (value)
        retrieve_path(self, value, size, type, features, "SoundFont",
                      "keeping the SoundFont in use", state->soundfont_path);
    /* No model saved: the session composed with the bundled one. */
    value = retrieve(handle, uris->pianola_model, &size, &type, &value_flags);
    if (value && retrieve_path(self, value, size, type, features, "model",
                               "composing with the bundled model", state->model_path) == 0 &&
        !state->model_path[0])
        lv2_log_warning(&self->host.logger, "Pianola: saved model path is empty; composing "
                                            "with the bundled model\n");
    value = retrieve(handle, uris->pianola_composer, &size, &type, &value_flags);
    if (value && type == uris->atom_String && size > 1 && size <= PNL_WEIGHTS_NAME_BYTES + 1 &&
        memchr(value, '\0', size) == (const char *)value + size - 1)
        memcpy(state->composer_name, value, size);
    else if (value)
        lv2_log_warning(&self->host.logger, "Pianola: saved composer name ignored: not a "
                                            "string of 1 to %d bytes\n", PNL_WEIGHTS_NAME_BYTES);
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
