/* The composing engine: a model, a generator and the music rules that turn
 * Pianola's settings (the plugin's controls, pianola-generate's options)
 * into notes on a timeline. The plugin's LV2 worker and pianola-generate
 * both compose through it, so the same seed, settings and prompt give the
 * same notes everywhere.
 *
 * The music is written a stretch at a time: [from_ticks, until_ticks), one
 * bar or the rest of one, after the timeline notes before it (a captured
 * or given prompt, then what was composed). The rules:
 * - the meter is the table's nearest to the host's bar and beat lengths
 *   (4/4 when it gives none);
 * - the key is the set one (key_choice) when there is one, else the
 *   prompt's (its PNL_ORIGIN_PROMPT notes) when there is one, otherwise one
 *   the seed chooses (pnl_key_shift_of_prompt_or_seed); with a prompt and a
 *   set key, the network hears the prompt moved into the set key, by the
 *   nearest way, and continues it there;
 * - the register, the dynamics and the density steer the generator
 *   (src/steering.h); the network hears each bar's density as played;
 * - the composer is the model's choice (pnl_model_choice_name: the file's
 *   own list, or PNL_COMPOSER_CHOICES for a file without one; an index past
 *   its end is the last), or the model's first composer when it lacks it;
 * - the ensemble is the settings' (parts.h): the music opens with its
 *   roles' PART tokens, every note composed or heard keeps its part, and
 *   the grammar keeps each role in its range and polyphony (as the music
 *   sounds, past the key shift); a timeline note of a role the ensemble
 *   lacks, or outside its role's range, is not heard. A model trained
 *   without the PART tokens composes solo piano, and says so;
 * - each stretch draws from a random stream keyed by the seed, the
 *   variation (re-roll count) and the tick the stretch starts at.
 * The network's state is carried from bar to bar, and is always the one
 * the timeline's notes before the stretch give (src/engine.c says how it
 * is kept and bounded). The result depends on nothing else, so live play,
 * an export, a restored session, a re-roll and pianola-generate all
 * compose the same notes from the same inputs. Allocates at creation and
 * as it keeps snapshots (it runs on a worker thread, never in an audio
 * callback). */
#ifndef PIANOLA_ENGINE_H
#define PIANOLA_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "timeline.h"

/* The bundle's model files (models/): the piano's, and the network that
 * composes the ensembles, which composes them while a session or a
 * program uses the bundled piano model. A model of one's own composes
 * every ensemble itself: one without the PART tokens, solo piano. */
#define PNL_BUNDLED_PIANO_MODEL "pianola.pnm"
#define PNL_BUNDLED_ENSEMBLE_MODEL "ensembles.pnm"

/* The bundled model that composes for the index-th ensemble (parts.h,
 * pnl_ensemble): the piano's for solo piano, the ensemble network for any
 * other. */
static inline const char *pnl_bundled_model_for(int ensemble)
{
    return ensemble > 0 ? PNL_BUNDLED_ENSEMBLE_MODEL : PNL_BUNDLED_PIANO_MODEL;
}

typedef struct {
    int32_t composer_choice; /* index into the model's choices (pnl_model_choice_name) */
    float temperature;       /* 0 = the best guess */
    float top_p;
    uint32_t seed;
    uint32_t variation;      /* re-roll count */
    int32_t bar_ticks;       /* the meter, from the host */
    int32_t beat_ticks;
    /* The steering (src/steering.h); zero steers nothing. */
    int32_t key_choice;       /* a PNL_KEY_CHOICES index, 0 = automatic */
    int32_t register_lowest;  /* MIDI notes; 0, 0 = the whole piano */
    int32_t register_highest;
    int32_t dynamics;         /* a PNL_DYNAMICS_CHOICES index, 0 = as composed */
    /* A PNL_DENSITY_CHOICES index, 0 = automatic; with a model trained
     * before the DENSITY family it changes nothing (docs/engine.md). */
    int32_t density;
    /* An index into pnl_ensemble() (parts.h), 0 = solo piano. */
    int32_t ensemble;
} PnlComposeSettings;

typedef struct PnlEngine PnlEngine;

/* Loads the model at model_path with the given precision (the plugin
 * composes with PNL_PRECISION_INT8, and so does pianola-generate by
 * default). NULL with a message when there is none or it is unusable. */
PnlEngine *pnl_engine_new(const char *model_path, PnlPrecision precision, char *message,
                          size_t message_size);
void pnl_engine_free(PnlEngine *engine);
/* The engine's model: its composer choices, for a menu. */
const PnlModel *pnl_engine_model(const PnlEngine *engine);

/* Composes notes with onsets in [from_ticks, until_ticks) (one bar or the
 * rest of one) after context[0..context_count), the timeline notes before
 * from_ticks. Writes at most max_notes to notes, sorted by onset then
 * pitch, and their number to *note_count. A message that is not an error
 * (the model lacks the chosen composer or the ensemble's PART tokens) is
 * left in message with PNL_OK; message is empty when there is none. */
int pnl_engine_compose(PnlEngine *engine, const PnlComposeSettings *settings,
                       const PnlTimelineNote *context, uint32_t context_count, int32_t from_ticks,
                       int32_t until_ticks, PnlTimelineNote *notes, uint32_t max_notes,
                       uint32_t *note_count, char *message, size_t message_size);

/* The timeline from from_ticks on was rewritten (cut and filled again,
 * e.g. with a captured prompt, or a restored session): the engine's
 * memory of it from there on is dropped. Composing a stretch says as much
 * for the stretch's own start. */
void pnl_engine_forget(PnlEngine *engine, int32_t from_ticks);

/* Where the memory of the music now composed begins: the bar line from
 * which the network hears the timeline (0, or 16 bars before where the
 * composer, the key or the meter last changed). A saved session keeps it
 * beside the settings, so a restored one hears from the same bar line. */
int32_t pnl_engine_memory_from(const PnlEngine *engine);
/* A session is restored: forgets everything, and hears from
 * memory_from_ticks when it next composes with these settings' composer,
 * seed and meter (< 0: not known, as in a state saved before it was kept;
 * then 16 bars before where composing resumes). */
void pnl_engine_restore_memory(PnlEngine *engine, const PnlComposeSettings *settings,
                               int32_t memory_from_ticks);

/* The music rules, for the callers that need one on its own. */

/* The roles the engine composes for with these settings: the ensemble's,
 * or 0 (solo piano) for an index outside the table or a model without the
 * PART tokens. A MIDI writer declares them (pnl_midi_write). */
PnlPartSet pnl_engine_parts(const PnlEngine *engine, const PnlComposeSettings *settings);

/* The index of a composer name among PNL_COMPOSER_CHOICES, or -1. */
int pnl_engine_composer_choice(const char *name);
/* The choice's composer name (the first choice for one out of range). */
const char *pnl_engine_composer_name(int32_t choice);
/* The meter of the table nearest settings' bar and beat lengths. */
void pnl_engine_meter(const PnlComposeSettings *settings, int *numerator, int *denominator);
/* Host bar and beat lengths in ticks for a meter n/d. */
void pnl_engine_meter_ticks(int numerator, int denominator, int32_t *bar_ticks,
                            int32_t *beat_ticks);
/* The random seed of the stretch starting at from_ticks. */
uint64_t pnl_engine_stretch_seed(const PnlComposeSettings *settings, int32_t from_ticks);

#endif
