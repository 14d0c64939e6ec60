/* The player's handles on the music beside the composer and the temperature:
 * a set key, a register and a dynamics level (the plugin's Key, Lowest key,
 * Highest key and Dynamics controls; pianola-generate's --key,
 * --register-lowest, --register-highest and --dynamics).
 *
 * The register and the key act where the network's odds become a choice,
 * in the generator:
 * - the register narrows the grammar's mask to the keys between the lowest
 *   and the highest, so no note outside is ever drawn (never folded in
 *   afterwards);
 * - a set key is a fixed key shift (the network composes in C major / A
 *   minor, src/key.h) and a lean of the network's pitches towards the key's
 *   mode, so that C major and A minor, which share their notes, are told
 *   apart. The lean adds to the logits of the allowed PITCH tokens, before
 *   the temperature and the nucleus, so the network's own preferences
 *   still order its choices, and the network hears the tokens it chose, so
 *   the memory of the music stays the timeline's (src/engine.c).
 * The dynamics level shifts the composed velocities, before humanization:
 * the engine writes the shifted velocity to the timeline and keeps the
 * network's own beside it, which is what the network hears. A shift keeps
 * the network's contour (accents, a melody above its accompaniment);
 * leaning the VEL tokens instead was measured to run away, because the
 * network hears the louder music it played and goes louder still (a mean
 * velocity of 41 at mp, 99 at mf).
 *
 * Their defaults (Automatic, the whole keyboard, As composed) change
 * nothing: the logits are not touched, the mask is the piano's, the
 * velocities are the network's. Nothing here allocates. */
#ifndef PIANOLA_STEERING_H
#define PIANOLA_STEERING_H

#include <stdint.h>

#include "key.h"

/* The Key control's choices: Automatic (the captured phrase's key, else the
 * seed's: src/key.h), then the 24 keys in the key estimator's order (C
 * major, C minor, C# major, ...), each major before its tonic's minor.
 *
 *   X(name, label): name on a command line (chord-symbol style), label in
 *   a host's menu */
#define PNL_KEY_CHOICES(X)                                                                        \
    X("auto", "Automatic")                                                                        \
    X("C", "C major") X("Cm", "C minor") X("C#", "C# major") X("C#m", "C# minor")                 \
    X("D", "D major") X("Dm", "D minor") X("Eb", "Eb major") X("Ebm", "Eb minor")                 \
    X("E", "E major") X("Em", "E minor") X("F", "F major") X("Fm", "F minor")                     \
    X("F#", "F# major") X("F#m", "F# minor") X("G", "G major") X("Gm", "G minor")                 \
    X("Ab", "Ab major") X("G#m", "G# minor") X("A", "A major") X("Am", "A minor")                 \
    X("Bb", "Bb major") X("Bbm", "Bb minor") X("B", "B major") X("Bm", "B minor")

/* The Dynamics control's choices: As composed (the network's own
 * loudness), then pp to ff. */
#define PNL_DYNAMICS_CHOICES(X)                                                                   \
    X("natural", "As composed")                                                                   \
    X("pp", "pp") X("p", "p") X("mp", "mp") X("mf", "mf") X("f", "f") X("ff", "ff")

/* The Density control's choices: Automatic (the network chooses each bar's
 * density), then the DENSITY steps of the vocabulary, sparsest first
 * (src/vocabulary.h; their notes per beat in docs/vocabulary.md). */
#define PNL_DENSITY_CHOICES(X)                                                                    \
    X("auto", "Automatic")                                                                        \
    X("sparse", "Sparse") X("light", "Light") X("moderate", "Moderate") X("busy", "Busy")         \
    X("very-busy", "Very busy")

#define PNL_CHOICE_NAME(name, label) name,
#define PNL_CHOICE_LABEL(name, label) label,
#define PNL_CHOICE_ONE(name, label) +1

enum {
    PNL_KEY_AUTOMATIC = 0,
    PNL_KEY_CHOICE_COUNT = 0 PNL_KEY_CHOICES(PNL_CHOICE_ONE),
    PNL_DYNAMICS_AS_COMPOSED = 0,
    PNL_DYNAMICS_CHOICE_COUNT = 0 PNL_DYNAMICS_CHOICES(PNL_CHOICE_ONE),
    PNL_DENSITY_AUTOMATIC = 0,
    PNL_DENSITY_CHOICE_COUNT = 0 PNL_DENSITY_CHOICES(PNL_CHOICE_ONE),
    /* The network's mean velocity, over its composers (as composed: 70 over
     * 16 bars of Mozart, Schumann and Rachmaninoff, seeds 1-3), which a
     * marking moves to the marking's velocity. */
    PNL_TYPICAL_VELOCITY = 72,
    /* No shifted note softer than ppp, as the table of markings plays it. */
    PNL_SOFTEST_VELOCITY = 16,
    /* The narrowest register: an octave and its top note. */
    PNL_REGISTER_MIN_SPAN = 12
};

/* How much more clearly a density-conditioned network hears a Density step
 * the player asked for than it learned to (pnl_model_state_ask_density).
 * The network learns which way each step leads but little of how far: a
 * bar's notes are mostly foretold by the bars before it, so its training
 * rewarded obeying the step only where the two disagreed. Asked for a step
 * the music before it lacks, it drifted back to that music's density. The
 * figure was chosen on the bundled network, apart from the tests' seeds, so
 * that every step lands near its target (docs/training.md, stage 4).
 * Automatic hears the steps the network chooses as it learned them. */
#define PNL_DENSITY_GUIDANCE 1.6f

typedef enum { PNL_MODE_FREE = 0, PNL_MODE_MAJOR, PNL_MODE_MINOR } PnlMode;

/* What the generator steers by. All zero: nothing (the whole piano, no
 * lean). */
typedef struct {
    PnlMode mode;      /* a set key's mode; FREE lets the network choose */
    int lowest_pitch;  /* the register, in the music's MIDI notes; 0 = A0 */
    int highest_pitch; /* 0 = C8 */
    /* A Density choice: 0 lets the network choose each bar's DENSITY token;
     * 1..PNL_DENSITY_CHOICE_COUNT - 1 forces step density - 1 in every bar.
     * It acts only with a model whose vocabulary has the DENSITY family. */
    int density;
} PnlSteering;

/* The key of a Key choice: 0 for Automatic (or out of range), 1 and *key
 * for a set key. */
int pnl_steering_key_of_choice(int choice, PnlKey *key);

/* A register within the piano and at least PNL_REGISTER_MIN_SPAN wide:
 * lowest and highest swapped when crossed, then widened upwards (downwards
 * at the top of the piano) where too narrow. */
void pnl_steering_register(int lowest, int highest, int *register_lowest,
                           int *register_highest);

/* Takes every pitch outside the register (and off the piano) out of the
 * mask, for music that lies key_shift semitones above the network's frame;
 * where the mask allows DENSITY tokens (a bar's first token after its
 * METER), a set density leaves only its own. */
void pnl_steering_mask(const PnlSteering *steering, int key_shift, uint8_t *mask);

/* Whether pnl_steering_lean changes any logit. */
int pnl_steering_leans(const PnlSteering *steering);

/* Adds the mode's lean to the allowed logits (PITCH tokens, in the
 * network's frame), in place. */
void pnl_steering_lean(const PnlSteering *steering, const uint8_t *mask, float *logits);

/* A composed velocity at a Dynamics choice: as it is for As composed;
 * otherwise shifted by the marking's velocity less PNL_TYPICAL_VELOCITY,
 * within PNL_SOFTEST_VELOCITY..127. */
int pnl_steering_dynamics_velocity(int dynamics, int velocity);

#endif
