/* The bytes of Pianola's saved state, apart from the LV2 calls that store
 * and retrieve them (state.c): portable little-endian records, checked
 * when read, so a damaged or foreign state is refused with a reason.
 *
 * pianola:TimelineNotes: a 16-byte header ("PNTL", notes format version 3,
 * the horizon in ticks, the note count) and 18 bytes per note (onset and
 * duration in ticks as int32, pitch, velocity, origin, velocity shape as
 * bytes, timing shape as float32, the model's velocity where a Dynamics
 * level shifted it, else 0, and the part that plays it); format 2 had 17,
 * without the part (the piano's), format 1 16, without the model's
 * velocity, and both are still read.
 * pianola:settings: thirteen 32-bit fields (composer, temperature, top-p,
 * seed, re-roll count, bar and beat in ticks, key, lowest and highest key
 * of the register, dynamics, density, ensemble); a state saved before the
 * ensembles holds the first twelve and reads as Solo piano, one saved
 * before the density the first eleven, and reads as Automatic density, one
 * saved before the steering the first seven, and reads as Automatic, the
 * whole keyboard, As composed and Automatic. */
#ifndef PIANOLA_STATE_ENCODING_H
#define PIANOLA_STATE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "timeline.h"

enum {
    PNL_NOTES_FORMAT_VERSION = 3,
    PNL_STATE_SETTINGS_SIZE = 52,
    PNL_STATE_SETTINGS_SIZE_BEFORE_ENSEMBLES = 48,
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
 * PNL_STATE_SETTINGS_SIZE_BEFORE_ENSEMBLES, PNL_STATE_SETTINGS_SIZE_BEFORE_DENSITY or
 * PNL_STATE_SETTINGS_SIZE_BEFORE_STEERING. PNL_OK, or PNL_ERANGE when a
 * field is outside what the plugin composes with or the size is neither
 * (the settings are then left alone). */
/* Whether settings of `size` bytes are of a size some Pianola saved. */
int pnl_state_settings_size_known(size_t size);
int pnl_state_decode_settings(const uint8_t *bytes, size_t size, PnlComposeSettings *settings);

#endif
