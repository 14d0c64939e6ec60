/* The composing loop: network, grammar, sampler and decoder together.
 *
 * A generator is primed with tokens (a prompt captured from a player or read
 * from a MIDI file, or just START COMPOSER_x for "from silence"), then asked
 * for more: each token comes from the network's logits, masked by the grammar
 * (docs/vocabulary.md) so the music can never run backwards, leave its bar or
 * strike a pitch twice in a chord, and drawn by the sampler at the chosen
 * temperature and top-p; the decoder turns the accepted tokens into notes.
 *
 * pianola-generate drives it to the end of a number of bars; the plugin's LV2
 * worker drives it in bounded jobs ("until the timeline reaches tick X, at
 * most N tokens"). Everything is allocated by pnl_generator_new; priming and
 * generating allocate nothing and each token costs one network step. The same
 * model, prompt, settings and seed give the same tokens, on any machine (see
 * src/lstm.c on why the sums do not depend on the vector width).
 *
 * The network is one token behind the grammar: the last accepted token is
 * held until the next one is wanted, so a generator's whole state is the
 * network's (h, c), the grammar, the generator and that one pending token,
 * which is what pnl_generator_copy takes. */
#ifndef PIANOLA_GENERATOR_H
#define PIANOLA_GENERATOR_H

#include "model.h"
#include "sampler.h"
#include "score.h"
#include "steering.h"

#include <stddef.h>
#include <stdint.h>

typedef struct PnlGenerator PnlGenerator;

typedef struct {
    const char *composer; /* a composer the model and the codec both know */
    float temperature;    /* 0 = always the most likely token */
    float top_p;          /* nucleus; 1 = no cut */
    uint64_t seed;
    /* A meter to keep to (e.g. the host's 4/4), or 0/0 to let the model
     * choose bar by bar. */
    int meter_numerator;
    int meter_denominator;
    /* For a key-normalized model (pnl_model_key_frame): the semitones the
     * music lies above the network's C major / A minor, -11..11. A prompt
     * is moved down by it on the way in and every note comes out moved up
     * by it, so the network continues a phrase in its own key (see
     * pnl_key_shift in key.h). Ignored, and taken as 0, for other models. */
    int key_shift;
    /* The register, a set key's mode and the dynamics (steering.h); all
     * zero steers nothing. */
    PnlSteering steering;
    /* The kind of source whose dynamics to follow (PnlSourceKind): the
     * default, 0, is PNL_SOURCE_PERFORMED, a pianist's dynamics. */
    int source;
} PnlGeneratorSettings;

/* Where the composition stands. Every note still to come starts at or after
 * horizon_ticks, so notes before it are final. */
typedef struct {
    int bar_count;            /* BAR tokens accepted (the current bar's number) */
    int64_t bar_start_ticks;  /* start of the current bar */
    int bar_ticks;            /* its length (0 before the first METER) */
    int64_t horizon_ticks;
    size_t token_count;       /* tokens accepted since the start */
    int finished;             /* END accepted (only when fed in a prompt) */
} PnlGeneratorPosition;

/* When a bounded job stops: the first limit reached. A limit < 0 is off. */
typedef struct {
    int64_t until_ticks; /* the horizon reaches this tick */
    int until_bars;      /* this many bars are complete (bar until_bars + 1 began) */
    int max_tokens;      /* tokens generated in this call */
} PnlGeneratorGoal;

/* A generator for `model`, which must outlive it. NULL with a message when
 * out of memory or the model's vocabulary is not the codec's. */
PnlGenerator *pnl_generator_new(const PnlModel *model, char *message, size_t message_size);
void pnl_generator_free(PnlGenerator *generator);

/* Starts a new piece with these settings: resets the network, the grammar
 * and the random generator (from settings->seed) and accepts START and the
 * composer's token. Fails (PNL_EINVAL) for a composer the model or the codec
 * lacks or a meter outside the vocabulary. */
int pnl_generator_start(PnlGenerator *generator, const PnlGeneratorSettings *settings,
                        char *message, size_t message_size);

/* Changes temperature and top-p from the next token on (the plugin's knobs). */
void pnl_generator_set_sampling(PnlGenerator *generator, float temperature, float top_p);
/* Changes the register, mode and dynamics from the next token on. */
void pnl_generator_set_steering(PnlGenerator *generator, const PnlSteering *steering);
/* Seeds the random draws from the next token on (nothing else changes):
 * the engine draws each stretch from a stream of its own. */
void pnl_generator_reseed(PnlGenerator *generator, uint64_t seed);

/* Accepts a given token (priming): through the grammar, the decoder and the
 * network. Tokens and notes are in the music's key: a PITCH token is moved
 * into the network's frame here, and a completed note moved back. Returns 1 and fills `note` when it completes a note, 0 when not,
 * PNL_EINVAL if the grammar forbids it here (nothing changes). START and a
 * composer token are skipped right after pnl_generator_start (which accepted
 * its own), so a whole encoded prompt can be fed as it is. */
int pnl_generator_feed(PnlGenerator *generator, int token, PnlNote *note);

/* Feeds a whole encoded prompt, stopping before its END so the music can
 * go on. Notes it completes go to `notes` (up to capacity; *note_count gets
 * how many there were). */
int pnl_generator_prime(PnlGenerator *generator, const uint16_t *tokens, size_t count,
                        PnlNote *notes, size_t capacity, size_t *note_count, char *message,
                        size_t message_size);

/* Generates one token (in the music's key, like `note`; no note is ever
 * moved off the piano). Returns 1 and fills `note` when the token completes a
 * note, 0 when not, a negative code when nothing can follow (the piece was
 * finished by a fed END). `token` may be NULL. */
int pnl_generator_next(PnlGenerator *generator, int *token, PnlNote *note);

/* Generates until a goal's first limit is reached, writing completed notes
 * to `notes` (at most capacity: the job also stops when it is full).
 * *note_count receives the notes written. Returns PNL_OK or a negative code. */
int pnl_generator_run(PnlGenerator *generator, const PnlGeneratorGoal *goal, PnlNote *notes,
                      size_t capacity, size_t *note_count);

void pnl_generator_position(const PnlGenerator *generator, PnlGeneratorPosition *position);

/* 1 when the model's vocabulary has the DENSITY family: every bar's METER
 * is then followed by a DENSITY token (fed ones included), which the
 * steering's density forces or the network chooses; 0 for a model trained
 * before it, which composes as it always did and ignores a set density. */
int pnl_generator_density_bars(const PnlGenerator *generator);

/* Makes `to` (a generator of the same model) continue exactly as `from`
 * would: for snapshots and for regenerating from a point. */
void pnl_generator_copy(PnlGenerator *to, const PnlGenerator *from);

#endif
