/* LV2 state: the timeline (with the captured prompt among its notes), the
 * settings the timeline was composed with (composer, temperature, top-p, seed, re-roll count,
 * meter) and the SoundFont path (state:mapPath). Saved in a portable
 * little-endian form. restore() never loads: it parses into a fresh
 * PnlRestoredState that run() hands to the worker (worker.c). */
#ifndef PIANOLA_STATE_H
#define PIANOLA_STATE_H

#include <lv2/state/state.h>

LV2_State_Status pnl_state_save(LV2_Handle instance, LV2_State_Store_Function store,
                                LV2_State_Handle handle, uint32_t flags,
                                const LV2_Feature *const *features);
LV2_State_Status pnl_state_restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve,
                                   LV2_State_Handle handle, uint32_t flags,
                                   const LV2_Feature *const *features);

#endif
