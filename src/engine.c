/* The composing engine; see engine.h.
 *
 * Memory. The network's state travels from bar to bar: a stretch goes on
 * from the generator's state at the end of the one before, so a theme or
 * a phrase can shape music any number of bars later. That state is the
 * timeline's, heard by this composer in this key and meter: the codec's
 * tokens of every note before it, fed through the network from a fresh
 * start, bar by bar, each bar closed by its BAR. Composing keeps to it at
 * no cost, because the tokens the generator draws for a bar are the ones
 * the codec writes for the notes it leaves (checked at each bar line; when
 * not, as when notes fell before a stretch that began mid-bar, the bar is
 * heard again from its notes). So the music stays a pure function of the
 * seed, the settings (and where they changed) and the prompt, and a state
 * can always be made again from the notes alone: a restored session hears
 * its timeline from the start and goes on as the uninterrupted one.
 *
 * A snapshot of that state is kept at each bar line composed or heard, so
 * a changed setting, a re-roll or a locate goes on from the nearest one
 * before the cut, hearing the few notes between. A snapshot is a whole
 * generator: 24.8 KB with the bundled model (2 x 360 LSTM units: h, c and
 * their 16-bit codes, the step's scratch, the sampler's), which would be
 * 45 MB for an hour of 4/4 at 120 BPM (1800 bars); at most PNL_SNAPSHOTS
 * are kept (3.2 MB), the newest PNL_DENSE_SNAPSHOTS a bar apart and the
 * older ones thinned to every other when full, so after an hour they are
 * 16 bars apart and resuming there hears at most 15 bars.
 *
 * A transformer's state is its key-value cache, the exact memory of the
 * window (the cache of a bar line cannot be rebuilt from the window's tokens
 * alone: its deeper layers heard tokens that have slid out): 2 x layers x
 * context x dimension floats, 6.3 MB for 4 layers of 192 over 1,024 tokens.
 * So the snapshots get a budget, PNL_SNAPSHOT_BYTES (64 MB), rather than a
 * count: as many as fit, at least PNL_MIN_SNAPSHOTS and at most
 * PNL_SNAPSHOTS, the newest half of them (at most PNL_DENSE_SNAPSHOTS) a
 * bar apart and the rest thinned as above. The LSTM's fit 128 times over,
 * so it keeps the count above; that transformer keeps 10 (63 MB), and after
 * an hour resuming hears more bars again (a few hundred tokens a bar,
 * which is what the budget trades away). Snapshots only save time: the
 * state is always the one the notes give, kept or heard again.
 *
 * A new voice (another composer, key or meter: a new seed without a
 * prompt, a new prompt) hears the timeline anew, from a fresh start
 * PNL_HEARD_BEFORE_CHANGE bars before the bar it starts in (memory_from),
 * so its cost is bounded however long the piece (hearing a bar costs about
 * what composing one does); composing again before memory_from does the
 * same. The plugin saves memory_from with its settings, so a restored
 * session hears from the same bar line. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "composers.h"
#include "generator.h"
#include "hash.h"
#include "key.h"
#include "model.h"
#include "score.h"
#include "status.h"
#include "steering.h"
#include "vocabulary.h"

enum {
    PNL_SNAPSHOTS = 128,       /* snapshots kept (see "Memory" above) */
    PNL_DENSE_SNAPSHOTS = 16,  /* the newest, never thinned */
    PNL_MIN_SNAPSHOTS = 8,     /* kept whatever a state's size */
    PNL_BAR_TOKENS = 8192,     /* tokens of one bar, as composed or encoded */
    PNL_BAR_NOTES = 4096,      /* notes of one bar */
    PNL_TOKENS_PER_JOB = 4096, /* a stretch never costs more steps than this */
    PNL_HEARD_BEFORE_CHANGE = 16 /* bars a new voice hears before where it starts */
};

/* A generator's whole state at a bar line (just after its BAR), and which
 * timeline it heard: the notes before the line, counted, and the last. */
typedef struct {
    int32_t ticks;
    uint32_t notes_before;
    PnlTimelineNote last;
    PnlGenerator *state;
} Snapshot;

/* The timeline a stretch is composed on: the context (notes before it)
 * and the notes composed so far, in order. */
typedef struct {
    const PnlTimelineNote *context;
    uint32_t context_count;
    const PnlTimelineNote *composed;
    uint32_t composed_count;
} Timeline;

struct PnlEngine {
    PnlModel *model;
    /* The generator composing, and where it stands when `standing` (just
     * after the BAR of the bar line standing_at.ticks). */
    PnlGenerator *work;
    int standing;
    Snapshot standing_at;
    /* Snapshots by ascending bar line; those past snapshot_count keep
     * their generators for reuse. */
    Snapshot snapshots[PNL_SNAPSHOTS];
    int snapshot_count;
    /* How many fit PNL_SNAPSHOT_BYTES for this model, and the newest of
     * them never thinned. */
    int snapshot_capacity, dense_snapshots;
    /* What the memory was heard as, and from which bar line (the
     * generator's tick 0): a change hears the timeline anew. */
    int have_memory;
    int composer_index; /* the codec's class of the COMPOSER token opening the music */
    int model_composer; /* the network's class (a composer of one's own borrows a token) */
    int key_shift;
    int prompt_move; /* semitones the prompt is moved as heard (a set key) */
    int numerator, denominator;
    int density; /* the Density choice composing now (PNL_DENSITY_CHOICES) */
    PnlPartSet parts; /* the ensemble's roles (0: solo piano) */
    int32_t memory_from;
    /* A restored session's memory_from, for the voice it was saved with. */
    int have_restored;
    PnlComposeSettings restored_settings;
    int32_t restored_memory_from;
    /* Scratch. */
    PnlScore bar_score;
    uint16_t *encoded;
    uint16_t *canonical;
    uint16_t *composed_tokens;
    PnlTimelineNote *bar_notes;
};

/* The memory snapshots may take (see "Memory" above). */
#define PNL_SNAPSHOT_BYTES ((size_t)64 << 20)

static const char *const composer_choices[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};

void pnl_engine_free(PnlEngine *engine)
{
    if (!engine)
        return;
    pnl_generator_free(engine->work);
    for (int i = 0; i < PNL_SNAPSHOTS; i++)
        pnl_generator_free(engine->snapshots[i].state);
    pnl_model_free(engine->model);
    pnl_score_free(&engine->bar_score);
    free(engine->encoded);
    free(engine->canonical);
    free(engine->composed_tokens);
    free(engine->bar_notes);
    free(engine);
}

const PnlModel *pnl_engine_model(const PnlEngine *engine)
{
    return engine->model;
}

PnlEngine *pnl_engine_new(const char *model_path, PnlPrecision precision, char *message,
                          size_t message_size)
{
    PnlEngine *engine = calloc(1, sizeof *engine);
    if (!engine) {
        snprintf(message, message_size, "out of memory loading %s", model_path);
        return NULL;
    }
    pnl_score_init(&engine->bar_score);
    engine->encoded = calloc(PNL_BAR_TOKENS, sizeof *engine->encoded);
    engine->canonical = calloc(PNL_BAR_TOKENS, sizeof *engine->canonical);
    engine->composed_tokens = calloc(PNL_BAR_TOKENS, sizeof *engine->composed_tokens);
    engine->bar_notes = calloc(PNL_BAR_NOTES, sizeof *engine->bar_notes);
    if (!engine->encoded || !engine->canonical || !engine->composed_tokens ||
        !engine->bar_notes) {
        snprintf(message, message_size, "out of memory loading %s", model_path);
        pnl_engine_free(engine);
        return NULL;
    }
    if (pnl_model_load_with_precision(model_path, pnl_vocab_signature(),
                                      (uint32_t)pnl_vocab_size(), precision, &engine->model,
                                      message, message_size) != PNL_OK) {
        pnl_engine_free(engine);
        return NULL;
    }
    engine->work = pnl_generator_new(engine->model, message, message_size);
    if (!engine->work) {
        pnl_engine_free(engine);
        return NULL;
    }
    size_t fitting = PNL_SNAPSHOT_BYTES / pnl_model_state_bytes(engine->model);
    engine->snapshot_capacity = fitting > PNL_SNAPSHOTS       ? PNL_SNAPSHOTS
                                : fitting < PNL_MIN_SNAPSHOTS ? PNL_MIN_SNAPSHOTS
                                                              : (int)fitting;
    engine->dense_snapshots = engine->snapshot_capacity / 2 < PNL_DENSE_SNAPSHOTS
                                  ? engine->snapshot_capacity / 2
                                  : PNL_DENSE_SNAPSHOTS;
    return engine;
}

/* The key the piece is composed in, as semitones above the network's C
 * major / A minor: the set key when there is one; else the captured
 * prompt's key when there is one (so the network continues the player's
 * phrase in its key), otherwise one chosen by the seed
 * (pnl_key_shift_of_prompt_or_seed). *prompt_move receives how far the
 * prompt is moved as the network hears it: with a set key, from the
 * prompt's key into the set one by the nearest way (at most a tritone), so
 * the network continues the phrase in the set key and in the phrase's own
 * register; 0 otherwise. */
static int key_shift_of(const PnlComposeSettings *settings, const PnlTimelineNote *context,
                        uint32_t context_count, int *prompt_move)
{
    PnlKeyHistogram prompt;
    pnl_key_histogram_clear(&prompt);
    for (uint32_t i = 0; i < context_count; i++)
        if (context[i].origin == PNL_ORIGIN_PROMPT)
            pnl_key_histogram_add(&prompt, context[i].pitch, context[i].duration_ticks);
    *prompt_move = 0;
    PnlKey set;
    if (!pnl_steering_key_of_choice(settings->key_choice, &set))
        return pnl_key_shift_of_prompt_or_seed(&prompt, settings->seed);
    int shift = pnl_key_frame_shift(&set);
    if (prompt.note_count == 0)
        return shift;
    int prompt_shift = pnl_key_shift(&prompt, NULL);
    int nearest = shift;
    for (int candidate = shift - 12; candidate <= shift + 12; candidate += 12)
        if (candidate >= -11 && candidate <= 11 &&
            abs(candidate - prompt_shift) < abs(nearest - prompt_shift))
            nearest = candidate;
    *prompt_move = nearest - prompt_shift;
    return nearest;
}

/* The generator's steering for these settings (src/steering.h). */
static PnlSteering steering_of(const PnlComposeSettings *settings)
{
    PnlSteering steering = {0};
    PnlKey set;
    if (pnl_steering_key_of_choice(settings->key_choice, &set))
        steering.mode = set.minor ? PNL_MODE_MINOR : PNL_MODE_MAJOR;
    pnl_steering_register(settings->register_lowest, settings->register_highest,
                          &steering.lowest_pitch, &steering.highest_pitch);
    if (settings->density > PNL_DENSITY_AUTOMATIC && settings->density < PNL_DENSITY_CHOICE_COUNT)
        steering.density = settings->density;
    return steering;
}

void pnl_engine_meter(const PnlComposeSettings *settings, int *numerator, int *denominator)
{
    int beat = settings->beat_ticks > 0 ? settings->beat_ticks : PNL_TICKS_PER_QUARTER;
    int bar = settings->bar_ticks > 0 ? settings->bar_ticks : 4 * PNL_TICKS_PER_QUARTER;
    *denominator = beat >= 48 ? 2 : beat >= 24 ? 4 : beat >= 12 ? 8 : 16;
    int beat_of_denominator = 4 * PNL_TICKS_PER_QUARTER / *denominator;
    *numerator = bar / beat_of_denominator;
    if (*numerator < 1 || pnl_token_meter(*numerator, *denominator) < 0) {
        *numerator = 4;
        *denominator = 4;
    }
}

void pnl_engine_meter_ticks(int numerator, int denominator, int32_t *bar_ticks,
                            int32_t *beat_ticks)
{
    *beat_ticks = 4 * PNL_TICKS_PER_QUARTER / denominator;
    *bar_ticks = numerator * *beat_ticks;
}

int pnl_engine_composer_choice(const char *name)
{
    for (int choice = 0; choice < PNL_COMPOSER_CHOICE_COUNT; choice++)
        if (!strcmp(composer_choices[choice], name))
            return choice;
    return -1;
}

const char *pnl_engine_composer_name(int32_t choice)
{
    return composer_choices[choice >= 0 && choice < PNL_COMPOSER_CHOICE_COUNT ? choice : 0];
}

uint64_t pnl_engine_stretch_seed(const PnlComposeSettings *settings, int32_t from_ticks)
{
    return pnl_splitmix64(((uint64_t)settings->seed << 32 | settings->variation) ^
                          pnl_splitmix64((uint64_t)(uint32_t)from_ticks));
}

/* The composer the model composes in: the choice's, or the model's first
 * when it lacks that one (a model trained on other music still composes,
 * and says so in message). */
static const char *model_composer(const PnlEngine *engine, int32_t choice, char *message,
                                  size_t message_size)
{
    int count = pnl_model_choice_count(engine->model);
    const char *name =
        pnl_model_choice_name(engine->model, choice < 0 ? 0 : choice < count ? choice : count - 1);
    int composer = pnl_model_find_composer(engine->model, name);
    if (composer >= 0 && pnl_composer_index(pnl_model_composer_opener(engine->model, composer)) >= 0)
        return name;
    snprintf(message, message_size, "the model has no %s; using %s", name,
             pnl_model_composer_name(engine->model, 0));
    return pnl_model_composer_name(engine->model, 0);
}


/* The roles the music is composed for: the ensemble's, or solo piano's
 * (none) for an index outside the table or a model that never learned the
 * PART tokens (which then composes solo piano, and says so in message,
 * which may be NULL with message_size 0). */
static PnlPartSet ensemble_parts(const PnlEngine *engine, int32_t ensemble, char *message,
                                 size_t message_size)
{
    const PnlEnsemble *chosen = pnl_ensemble(ensemble);
    if (!chosen) {
        snprintf(message, message_size, "there is no ensemble %d; composing solo piano",
                 (int)ensemble);
        return 0;
    }
    int vocab_size = pnl_model_vocab_size(engine->model);
    if (chosen->parts && !pnl_vocab_has_parts(vocab_size)) {
        snprintf(message, message_size,
                 "the model (a vocabulary of %d tokens) was trained without the PART tokens "
                 "of ensembles; composing solo piano, not %s",
                 vocab_size, chosen->label);
        return 0;
    }
    return chosen->parts;
}

PnlPartSet pnl_engine_parts(const PnlEngine *engine, const PnlComposeSettings *settings)
{
    return ensemble_parts(engine, settings->ensemble, NULL, 0);
}

/* Whether the memory hears a timeline note: one of a role the ensemble
 * has (solo piano's is the piano), in its range as it sounds. Notes of
 * another ensemble (before the choice changed) are not heard. */
static int heard_as_part(const PnlEngine *engine, int part, int pitch)
{
    if (!engine->parts)
        return part == PNL_PART_PIANO;
    return (engine->parts >> part & 1u) && pnl_part_in_range(part, pitch);
}

/* ------------------------------------------------------------ the timeline */

static uint32_t timeline_count(const Timeline *timeline)
{
    return timeline->context_count + timeline->composed_count;
}

static const PnlTimelineNote *timeline_note(const Timeline *timeline, uint32_t i)
{
    return i < timeline->context_count ? &timeline->context[i]
                                       : &timeline->composed[i - timeline->context_count];
}

/* How many notes start before ticks (the timeline is in onset order). */
static uint32_t notes_before(const Timeline *timeline, int64_t ticks)
{
    uint32_t low = 0, high = timeline_count(timeline);
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (timeline_note(timeline, middle)->onset_ticks < ticks)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The same note as composed (the humanizer's shapes aside). */
static int same_note(const PnlTimelineNote *a, const PnlTimelineNote *b)
{
    return a->onset_ticks == b->onset_ticks && a->duration_ticks == b->duration_ticks &&
           a->pitch == b->pitch && a->velocity == b->velocity && a->origin == b->origin &&
           a->part == b->part;
}

static void describe(Snapshot *snapshot, int64_t ticks, const Timeline *timeline)
{
    snapshot->ticks = (int32_t)ticks;
    snapshot->notes_before = notes_before(timeline, ticks);
    snapshot->last = snapshot->notes_before
                         ? *timeline_note(timeline, snapshot->notes_before - 1)
                         : (PnlTimelineNote){0};
}

/* Whether the timeline before a snapshot's bar line is still the one it
 * heard: as many notes, the same last one. (A caller that rewrites the
 * timeline says where with pnl_engine_forget; this is the check behind it.) */
static int still_heard(const Snapshot *snapshot, const Timeline *timeline)
{
    uint32_t count = notes_before(timeline, snapshot->ticks);
    return count == snapshot->notes_before &&
           (count == 0 || same_note(timeline_note(timeline, count - 1), &snapshot->last));
}

/* ------------------------------------------------------------ the memory */

void pnl_engine_forget(PnlEngine *engine, int32_t from_ticks)
{
    while (engine->snapshot_count > 0 &&
           engine->snapshots[engine->snapshot_count - 1].ticks > from_ticks)
        engine->snapshot_count--;
    if (engine->standing && engine->standing_at.ticks > from_ticks)
        engine->standing = 0;
}

void pnl_engine_restore_memory(PnlEngine *engine, const PnlComposeSettings *settings,
                               int32_t memory_from_ticks)
{
    pnl_engine_forget(engine, 0);
    engine->snapshot_count = 0;
    engine->have_memory = 0;
    engine->have_restored = memory_from_ticks >= 0;
    engine->restored_settings = *settings;
    engine->restored_memory_from = memory_from_ticks;
}

int32_t pnl_engine_memory_from(const PnlEngine *engine)
{
    return engine->have_memory ? engine->memory_from : 0;
}

/* Full: every other of the older snapshots goes, so their spacing doubles
 * and the newest stay a bar apart. */
static void thin_snapshots(PnlEngine *engine)
{
    Snapshot dropped[PNL_SNAPSHOTS];
    int kept = 0, dropped_count = 0, older = engine->snapshot_count - engine->dense_snapshots;
    for (int i = 0; i < engine->snapshot_count; i++) {
        if (i < older && i % 2 == 1)
            dropped[dropped_count++] = engine->snapshots[i];
        else
            engine->snapshots[kept++] = engine->snapshots[i];
    }
    for (int i = 0; i < dropped_count; i++)
        engine->snapshots[kept + i] = dropped[i];
    engine->snapshot_count = kept;
}

/* Keeps the working generator's state as the memory of bar line ticks. */
static int take_snapshot(PnlEngine *engine, int64_t ticks, const Timeline *timeline,
                         char *message, size_t message_size)
{
    pnl_engine_forget(engine, (int32_t)ticks - 1);
    if (engine->snapshot_count == engine->snapshot_capacity)
        thin_snapshots(engine);
    Snapshot *snapshot = &engine->snapshots[engine->snapshot_count];
    if (!snapshot->state) {
        snapshot->state = pnl_generator_new(engine->model, message, message_size);
        if (!snapshot->state)
            return PNL_ENOMEM;
    }
    pnl_generator_copy(snapshot->state, engine->work);
    describe(snapshot, ticks, timeline);
    engine->snapshot_count++;
    return PNL_OK;
}

/* The tokens the codec writes for the timeline's notes in [bar, until)
 * (within the bar starting at `bar`), into engine->canonical: BAR first in
 * the memory's first bar, the meter, then the onsets, no closing BAR.
 * Returns how many, or a negative status. */
static int bar_tokens(PnlEngine *engine, const Timeline *timeline, int64_t bar, int64_t until,
                      char *message, size_t message_size)
{
    PnlScore *score = &engine->bar_score;
    pnl_score_clear(score);
    score->parts = engine->parts;
    int status = pnl_score_add_meter(score, (PnlMeterChange){0, (uint8_t)engine->numerator,
                                                             (uint8_t)engine->denominator});
    uint32_t end = notes_before(timeline, until);
    for (uint32_t i = notes_before(timeline, bar); i < end && status == PNL_OK; i++) {
        const PnlTimelineNote *note = timeline_note(timeline, i);
        int pitch = note->pitch + (note->origin == PNL_ORIGIN_PROMPT ? engine->prompt_move : 0);
        /* Music composed in another key (before the seed or the prompt
         * changed) can hold pitches the shift moves off the piano; such a
         * note is not heard rather than folded in. */
        if (!pnl_key_shift_keeps_on_piano(pitch, engine->key_shift) ||
            !heard_as_part(engine, note->part, pitch))
            continue;
        status = pnl_score_add_note(score, (PnlNote){.onset_ticks = note->onset_ticks - bar,
                                                     .duration_ticks = note->duration_ticks,
                                                     .pitch = (uint8_t)pitch,
                                                     .velocity = note->model_velocity
                                                                     ? note->model_velocity
                                                                     : note->velocity,
                                                     .part = note->part});
    }
    if (status != PNL_OK) {
        snprintf(message, message_size, "out of memory hearing the timeline");
        return status;
    }
    /* The bar's meter (and, at the start of memory, its BAR: later bars
     * follow the BAR that closed the bar before). */
    int count = 0;
    if (bar == engine->memory_from)
        engine->canonical[count++] = PNL_TOKEN_BAR;
    engine->canonical[count++] = (uint16_t)pnl_token_meter(engine->numerator, engine->denominator);
    if (pnl_generator_density_bars(engine->work)) {
        /* The bar's density as played, as the codec writes it: the memory
         * stays the notes'. Only a bar heard in part (a stretch that starts
         * inside it) takes a set density, which it goes on to be composed
         * with, or else the density of its part. */
        int32_t bar_ticks = pnl_meter_bar_ticks(engine->numerator, engine->denominator);
        int32_t heard_ticks = (int32_t)(until - bar);
        int step = pnl_density_step((int)score->note_count, heard_ticks);
        if (heard_ticks >= bar_ticks)
            step = pnl_density_step((int)score->note_count, bar_ticks);
        else if (engine->density > PNL_DENSITY_AUTOMATIC)
            step = engine->density - 1;
        engine->canonical[count++] = (uint16_t)pnl_token_density(step);
    }
    if (score->note_count == 0)
        return count;
    pnl_score_normalize(score, NULL);
    size_t encoded = 0;
    status = pnl_encode(score, engine->composer_index, engine->encoded, PNL_BAR_TOKENS,
                        &encoded, message, message_size);
    if (status != PNL_OK)
        return status;
    /* START COMPOSER (the ensemble's PARTs) BAR METER, then the bar's
     * onsets up to the next BAR. */
    size_t bar_at = 2;
    while (bar_at < encoded && pnl_token_family(engine->encoded[bar_at]) == PNL_FAMILY_PART)
        bar_at++;
    if (encoded < bar_at + 2 || engine->encoded[bar_at] != PNL_TOKEN_BAR ||
        pnl_token_family(engine->encoded[bar_at + 1]) != PNL_FAMILY_METER) {
        snprintf(message, message_size, "the codec wrote a bar without its meter");
        return PNL_EINVAL;
    }
    for (size_t i = bar_at + 2; i < encoded && engine->encoded[i] != PNL_TOKEN_BAR &&
                       engine->encoded[i] != PNL_TOKEN_END;
         i++) {
        if (count >= PNL_BAR_TOKENS - 1) {
            snprintf(message, message_size, "a bar of more than %d tokens", PNL_BAR_TOKENS);
            return PNL_ENOMEM;
        }
        engine->canonical[count++] = engine->encoded[i];
    }
    return count;
}

static int feed(PnlEngine *engine, const uint16_t *tokens, int count, char *message,
                size_t message_size)
{
    for (int i = 0; i < count; i++) {
        if (pnl_generator_feed(engine->work, tokens[i], NULL) < 0) {
            char name[PNL_TOKEN_NAME_MAX];
            if (pnl_token_name(tokens[i], name, sizeof name) < 0)
                snprintf(name, sizeof name, "%u", tokens[i]);
            snprintf(message, message_size, "the timeline's %s cannot come there", name);
            return PNL_EINVAL;
        }
    }
    return PNL_OK;
}

/* Hears the bar [bar, bar + bar_ticks) of the timeline, and its closing
 * BAR, and keeps the state of the next bar line. */
static int hear_bar(PnlEngine *engine, const Timeline *timeline, int64_t bar, int32_t bar_ticks,
                    char *message, size_t message_size)
{
    int count = bar_tokens(engine, timeline, bar, bar + bar_ticks, message, message_size);
    if (count < 0)
        return count;
    engine->canonical[count++] = PNL_TOKEN_BAR;
    int status = feed(engine, engine->canonical, count, message, message_size);
    if (status == PNL_OK)
        status = take_snapshot(engine, bar + bar_ticks, timeline, message, message_size);
    return status;
}

/* Puts the working generator just after the BAR of bar line `line`,
 * hearing the timeline from the nearest memory before it (the state where
 * it stands, a snapshot, or a fresh start at memory_from). */
static int stand_at(PnlEngine *engine, const Timeline *timeline,
                    const PnlGeneratorSettings *settings, int64_t line, int32_t bar_ticks,
                    char *message, size_t message_size)
{
    pnl_engine_forget(engine, (int32_t)line);
    while (engine->snapshot_count > 0 &&
           !still_heard(&engine->snapshots[engine->snapshot_count - 1], timeline))
        engine->snapshot_count--;
    if (engine->standing && !still_heard(&engine->standing_at, timeline))
        engine->standing = 0;
    const Snapshot *nearest =
        engine->snapshot_count ? &engine->snapshots[engine->snapshot_count - 1] : NULL;
    int64_t bar = engine->memory_from;
    if (engine->standing && (!nearest || engine->standing_at.ticks >= nearest->ticks)) {
        bar = engine->standing_at.ticks;
    } else if (nearest) {
        pnl_generator_copy(engine->work, nearest->state);
        bar = nearest->ticks;
    } else {
        int status = pnl_generator_start(engine->work, settings, message, message_size);
        /* The music opens with the ensemble's roles, where the codec
         * writes them: after COMPOSER and SOURCE, before the first BAR. */
        for (int part = 0; part < PNL_PART_COUNT && status == PNL_OK; part++) {
            if (engine->parts >> part & 1u) {
                uint16_t declared = (uint16_t)pnl_token_part(part);
                status = feed(engine, &declared, 1, message, message_size);
            }
        }
        if (status != PNL_OK)
            return status;
    }
    engine->standing = 0;
    for (; bar < line; bar += bar_ticks) {
        int status = hear_bar(engine, timeline, bar, bar_ticks, message, message_size);
        if (status != PNL_OK)
            return status;
    }
    return PNL_OK;
}

/* A bar is composed (its closing BAR taken): when its tokens are not what
 * the codec writes for the notes it left on the timeline (some fell before
 * the stretch, or past a full buffer), the state is made again from the
 * notes, so the memory is always the timeline's. */
static int close_bar(PnlEngine *engine, const Timeline *timeline,
                     const PnlGeneratorSettings *settings, int64_t bar, int64_t line,
                     int32_t bar_ticks, size_t composed, char *message, size_t message_size)
{
    int count = bar_tokens(engine, timeline, bar, line, message, message_size);
    if (count < 0)
        return count;
    engine->canonical[count++] = PNL_TOKEN_BAR;
    if ((size_t)count != composed ||
        memcmp(engine->canonical, engine->composed_tokens, composed * sizeof(uint16_t))) {
        int status = stand_at(engine, timeline, settings, bar, bar_ticks, message, message_size);
        if (status == PNL_OK)
            status = hear_bar(engine, timeline, bar, bar_ticks, message, message_size);
        if (status == PNL_OK) {
            /* A snapshot may have been taken with other sampling and
             * steering settings. */
            pnl_generator_set_sampling(engine->work, settings->temperature, settings->top_p);
            pnl_generator_set_steering(engine->work, &settings->steering);
            pnl_generator_reseed(engine->work, settings->seed ^ pnl_splitmix64((uint64_t)line));
        }
        return status;
    }
    return take_snapshot(engine, line, timeline, message, message_size);
}

int pnl_engine_compose(PnlEngine *engine, const PnlComposeSettings *settings,
                       const PnlTimelineNote *context, uint32_t context_count, int32_t from_ticks,
                       int32_t until_ticks, PnlTimelineNote *notes, uint32_t max_notes,
                       uint32_t *note_count, char *message, size_t message_size)
{
    *note_count = 0;
    if (until_ticks <= from_ticks)
        return PNL_OK;
    int numerator, denominator;
    pnl_engine_meter(settings, &numerator, &denominator);
    int32_t bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
    /* What is not an error but a person should know: the composer or the
     * ensemble the model lacks, and what it composes instead. */
    char composer_note[128] = "", ensemble_note[160] = "";
    const char *composer = model_composer(engine, settings->composer_choice, composer_note,
                                          sizeof composer_note);
    PnlPartSet parts = ensemble_parts(engine, settings->ensemble, ensemble_note,
                                      sizeof ensemble_note);
    int prompt_move = 0;
    int key_shift = pnl_model_key_frame(engine->model)
                        ? key_shift_of(settings, context, context_count, &prompt_move)
                        : 0;
    PnlGeneratorSettings generator_settings = {
        .composer = composer,
        .temperature = settings->temperature,
        .top_p = settings->top_p,
        .seed = pnl_engine_stretch_seed(settings, from_ticks),
        .meter_numerator = numerator,
        .meter_denominator = denominator,
        .key_shift = key_shift,
        /* Every ensemble piece the network learned from was engraved (the
         * chamber corpus holds scores, not performances): an ensemble
         * opens as they do, or the network hears a piece it never met. */
        .source = parts ? PNL_SOURCE_ENGRAVED : PNL_SOURCE_PERFORMED,
        .steering = steering_of(settings)};

    /* The memory is the timeline heard by this composer in this key and
     * meter (and, by a network that hears an asked density step more
     * clearly than one it chose, with this Density); another hears it
     * anew, from the start. */
    int density_changed = pnl_generator_density_bars(engine->work) &&
                          engine->density != generator_settings.steering.density;
    int model_composer = pnl_model_find_composer(engine->model, composer);
    int composer_index =
        pnl_composer_index(pnl_model_composer_opener(engine->model, model_composer));
    int64_t bar = (int64_t)from_ticks / bar_ticks * bar_ticks;
    if (!engine->have_memory || engine->model_composer != model_composer ||
        engine->key_shift != key_shift || engine->prompt_move != prompt_move ||
        engine->numerator != numerator || engine->denominator != denominator ||
        engine->parts != parts || density_changed) {
        engine->snapshot_count = 0;
        engine->standing = 0;
        engine->have_memory = 1;
        engine->composer_index = composer_index;
        engine->model_composer = model_composer;
        engine->key_shift = key_shift;
        engine->prompt_move = prompt_move;
        engine->numerator = numerator;
        engine->denominator = denominator;
        engine->parts = parts;
        /* A new voice hears the bars before where it starts, so its
         * cost is bounded, however long the piece; a restored session
         * hears from where its voice began. */
        int64_t heard = bar - (int64_t)PNL_HEARD_BEFORE_CHANGE * bar_ticks;
        const PnlComposeSettings *restored = &engine->restored_settings;
        if (engine->have_restored && restored->composer_choice == settings->composer_choice &&
            restored->seed == settings->seed && restored->key_choice == settings->key_choice &&
            restored->bar_ticks == settings->bar_ticks &&
            restored->beat_ticks == settings->beat_ticks &&
            restored->ensemble == settings->ensemble &&
            restored->density == settings->density &&
            engine->restored_memory_from % bar_ticks == 0 &&
            engine->restored_memory_from <= bar)
            heard = engine->restored_memory_from;
        engine->memory_from = (int32_t)(heard > 0 ? heard : 0);
    }
    engine->have_restored = 0;
    if (bar < engine->memory_from) {
        /* Composing again before where the memory begins (a cut there):
         * it begins anew before the cut, as for a new voice. */
        int64_t heard = bar - (int64_t)PNL_HEARD_BEFORE_CHANGE * bar_ticks;
        engine->snapshot_count = 0;
        engine->standing = 0;
        engine->memory_from = (int32_t)(heard > 0 ? heard : 0);
    }
    engine->density = generator_settings.steering.density;
    Timeline timeline = {context, context_count, notes, 0};
    /* Everything from from_ticks on is written anew. */
    pnl_engine_forget(engine, from_ticks);
    int64_t origin = engine->memory_from; /* the generator's tick 0 */
    int status = stand_at(engine, &timeline, &generator_settings, bar, bar_ticks, message,
                          message_size);
    if (status != PNL_OK)
        return status;
    size_t composed = 0;
    if (bar < from_ticks) {
        int count = bar_tokens(engine, &timeline, bar, from_ticks, message, message_size);
        if (count < 0)
            return count;
        status = feed(engine, engine->canonical, count, message, message_size);
        if (status != PNL_OK)
            return status;
        memcpy(engine->composed_tokens, engine->canonical, (size_t)count * sizeof(uint16_t));
        composed = (size_t)count;
    }
    pnl_generator_set_sampling(engine->work, settings->temperature, settings->top_p);
    pnl_generator_set_steering(engine->work, &generator_settings.steering);
    pnl_generator_reseed(engine->work, generator_settings.seed);

    int last_token = -1;
    for (int made = 0; made < PNL_TOKENS_PER_JOB; made++) {
        PnlGeneratorPosition position;
        pnl_generator_position(engine->work, &position);
        if (position.horizon_ticks + origin >= until_ticks)
            break;
        PnlNote note;
        int completed = pnl_generator_next(engine->work, &last_token, &note);
        if (completed < 0) {
            snprintf(message, message_size, "the generator stopped (status %d)", completed);
            return completed;
        }
        /* A bar longer than the buffer never matches the codec's. */
        if (composed < PNL_BAR_TOKENS)
            engine->composed_tokens[composed] = (uint16_t)last_token;
        composed++;
        int64_t onset = note.onset_ticks + origin;
        if (completed && onset >= from_ticks && onset < until_ticks &&
            timeline.composed_count < max_notes) {
            int velocity = note.velocity ? note.velocity : 1;
            int played = pnl_steering_dynamics_velocity(settings->dynamics, velocity);
            notes[timeline.composed_count++] = (PnlTimelineNote){
                .onset_ticks = (int32_t)onset,
                .duration_ticks = note.duration_ticks < 1 ? 1 : note.duration_ticks,
                .pitch = note.pitch,
                .velocity = (uint8_t)played,
                .origin = PNL_ORIGIN_GENERATED,
                .model_velocity = (uint8_t)(played != velocity ? velocity : 0),
                .part = note.part};
        }
        if (last_token == PNL_TOKEN_BAR) {
            pnl_generator_position(engine->work, &position);
            int64_t line = position.bar_start_ticks + origin;
            if (line > bar) {
                status = close_bar(engine, &timeline, &generator_settings, bar, line, bar_ticks,
                                   composed, message, message_size);
                if (status != PNL_OK)
                    return status;
                bar = line;
                composed = 0;
            }
        }
    }
    *note_count = timeline.composed_count;
    /* Stopped on a bar line: the next stretch goes on from here. */
    if (last_token == PNL_TOKEN_BAR && composed == 0 && engine->snapshot_count > 0 &&
        engine->snapshots[engine->snapshot_count - 1].ticks == bar) {
        engine->standing = 1;
        engine->standing_at = engine->snapshots[engine->snapshot_count - 1];
    }
    snprintf(message, message_size, "%s%s%s", composer_note,
             composer_note[0] && ensemble_note[0] ? "; " : "", ensemble_note);
    return PNL_OK;
}
