/* The bytes of Pianola's saved state, apart from the LV2 calls that store
 * and retrieve them (state.c): portable little-endian records, checked
 * when read, so a damaged or foreign state is refused with a reason.
 *
 * pianola:TimelineNotes: a 16-byte header ("PNTL", notes format version 2,
 * the horizon in ticks, the note count) and 17 bytes per note (onset and
 * duration in ticks as int32, pitch, velocity, origin, velocity shape as
 * bytes, timing shape as float32, the model's velocity where a Dynamics
 * level shifted it, else 0); format 1 had 16, without the last, and is
 * still read.
 * pianola:settings: twelve 32-bit fields (composer, temperature, top-p,
 * seed, re-roll count, bar and beat in ticks, key, lowest and highest key
 * of the register, dynamics, density); a state saved before the density
 * holds the first eleven and reads as Automatic density, one saved before
 * the steering holds the first seven, and reads as Automatic, the whole
 * keyboard, As composed and Automatic. */
#ifndef PIANOLA_STATE_ENCODING_H
#define PIANOLA_STATE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "timeline.h"

enum {
    PNL_NOTES_FORMAT_VERSION = 2,
    PNL_STATE_SETTINGS_SIZE = 48,
    PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY = 44,
    PNL_STATE_SETTINGS_SIZE_BEFORE_STEERING = 28
};

/* Notes as pianola:TimelineNotes bytes (malloc'd, *size of them); NULL
 * when out of memory. */
uint8_t *pnl_state_encode_notes(const PnlTimelineNote *notes, uint32_t count,
                                int32_t horizon_ticks, size_t *size);
/* Reads at most capacity notes (malloc'd) and the horizon, which is never
 * before the last note kept. Malformed notes are dropped, not trusted.
 * NULL with a message when the bytes are not notes this version reads. */
PnlTimelineNote *pnl_state_decode_notes(const uint8_t *bytes, size_t size, uint32_t capacity,
                                        uint32_t *count, int32_t *horizon_ticks, char *message,
                                        size_t message_size);

void pnl_state_encode_settings(const PnlComposeSettings *settings,
                               uint8_t bytes[PNL_STATE_SETTINGS_SIZE]);
/* Reads `size` bytes: PNL_STATE_SETTINGS_SIZE, or the older
 * PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY or
 * PNL_STATE_SETTINGS_SIZE_BEFORE_STEERING. PNL_OK, or PNL_ERANGE when a
 * field is outside what the plugin composes with or the size is neither
 * (the settings are then left alone). */
int pnl_state_decode_settings(const uint8_t *bytes, size_t size, PnlComposeSettings *settings);

#endif
