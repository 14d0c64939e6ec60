/* The composing loop (see generator.h): one network step and one draw per
 * token, the grammar's mask narrowed by the generator's own rules (no END
 * while composing on, the meter kept when one is fixed). */
#include "generator.h"

#include "grammar.h"
#include "hash.h"
#include "status.h"
#include "vocabulary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct PnlGenerator {
    const PnlModel *model;
    PnlModelState *state;
    PnlSampler *sampler;
    PnlDecoder decoder;
    int composer;       /* the model's composer class */
    int composer_token; /* the codec's COMPOSER_<name> */
    float temperature, top_p;
    int meter_token;    /* the fixed meter's token, or -1 */
    int key_shift;      /* semitones from the network's key frame to the music's */
    int density_bars;   /* the model's vocabulary has the DENSITY family */
    PnlSteering steering;
    int pending_token;  /* accepted but not yet through the network, or -1 */
    int just_started;   /* START, COMPOSER and SOURCE accepted by pnl_generator_start, no more */
    size_t token_count;
    /* The bars' onsets and pitches (POS and PITCH tokens), hashed: the bar
     * being spelled, the last complete one, and how many times in a row
     * that one was played (see MAX_BARS_IN_A_ROW). */
    uint64_t bar_hash, last_bar_hash;
    int bar_onset_tokens, last_bar_onset_tokens, last_bar_run;
    uint8_t mask[PNL_VOCAB_SIZE];
    float leaned[PNL_VOCAB_SIZE]; /* the logits with the steering's leans */
};

/* No bar is played more than twice in a row, note for note (onsets and
 * pitches): no composer's corpus piece holds a bar three times in a row more
 * than now and then (docs/music-stats.md), while the network's likeliest
 * choices, at a low temperature, fall into a bar played over and over (a
 * Mozart bar 22 times, a Schumann bar for all 32). The generator lets the
 * third copy go on past where the copy would end instead. */
enum { MAX_BARS_IN_A_ROW = 2 };

PnlGenerator *pnl_generator_new(const PnlModel *model, char *message, size_t message_size)
{
    int vocab_size = pnl_model_vocab_size(model);
    if (!pnl_vocab_is_known_size(vocab_size)) {
        snprintf(message, message_size,
                 "the model has a vocabulary of %d tokens, the codec %d (or %d before the "
                 "PART family, %d before the DENSITY family)",
                 vocab_size, PNL_VOCAB_SIZE, PNL_VOCAB_SIZE_BEFORE_PARTS,
                 PNL_VOCAB_SIZE_BEFORE_DENSITY);
        return NULL;
    }
    PnlGenerator *generator = calloc(1, sizeof *generator);
    if (generator) {
        generator->model = model;
        generator->state = pnl_model_state_new(model);
        generator->sampler = pnl_sampler_new(PNL_VOCAB_SIZE, 0);
    }
    if (!generator || !generator->state || !generator->sampler) {
        pnl_generator_free(generator);
        snprintf(message, message_size, "out of memory for a generator");
        return NULL;
    }
    generator->density_bars = pnl_vocab_has_density(vocab_size);
    generator->composer = -1;
    generator->meter_token = -1;
    generator->pending_token = -1;
    generator->temperature = 1.0f;
    generator->top_p = 1.0f;
    pnl_decoder_reset(&generator->decoder);
    return generator;
}

void pnl_generator_free(PnlGenerator *generator)
{
    if (!generator)
        return;
    pnl_model_state_free(generator->state);
    pnl_sampler_free(generator->sampler);
    free(generator);
}

/* A PITCH token moved by `semitones` (the music's key <-> the network's
 * frame), kept on the piano by whole octaves; other tokens as they are. */
static int move_pitch(int token, int semitones)
{
    if (semitones == 0 || pnl_token_family(token) != PNL_FAMILY_PITCH)
        return token;
    int pitch = PNL_LOWEST_PITCH + pnl_token_offset(token) + semitones;
    while (pitch < PNL_LOWEST_PITCH)
        pitch += 12;
    while (pitch > PNL_HIGHEST_PITCH)
        pitch -= 12;
    return pnl_token_pitch(pitch);
}

/* Whether the register (and the piano's keys, past the key shift) leaves
 * `part` of an ensemble a key of its range to play. */
static int part_has_a_key(const PnlGenerator *generator, int part)
{
    const PnlPartRole *role = pnl_part_role(part);
    const PnlSteering *steering = &generator->steering;
    int lowest = role->lowest, highest = role->highest;
    if (steering->lowest_pitch > lowest)
        lowest = steering->lowest_pitch;
    if (steering->highest_pitch > 0 && steering->highest_pitch < highest)
        highest = steering->highest_pitch;
    if (PNL_LOWEST_PITCH + generator->key_shift > lowest)
        lowest = PNL_LOWEST_PITCH + generator->key_shift;
    if (PNL_HIGHEST_PITCH + generator->key_shift < highest)
        highest = PNL_HIGHEST_PITCH + generator->key_shift;
    return lowest <= highest;
}

/* In an ensemble, a role whose range the register misses has no key to
 * play: it may not open a group of an onset, nor may an onset come where
 * only such roles have a voice free, since neither could be followed by a
 * note. Where no role has a key at all the bars stay silent. */
static void keep_to_playable_parts(const PnlGenerator *generator, uint8_t *mask)
{
    const PnlGrammar *grammar = &generator->decoder.grammar;
    if (!grammar->parts || grammar->bar_count == 0)
        return;
    PnlPartSet playable = 0;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        if ((grammar->parts >> part & 1u) && part_has_a_key(generator, part))
            playable |= 1u << part;
    if (playable == grammar->parts)
        return;
    for (int part = 0; part < PNL_PART_COUNT; part++)
        if (!(playable >> part & 1u))
            mask[PNL_TOKEN_PART_BASE + part] = 0;
    for (int position = 0; position < grammar->bar_ticks; position++) {
        uint8_t *pos = &mask[PNL_TOKEN_POS_BASE + position];
        int voiced = 0;
        for (int part = 0; *pos && part < PNL_PART_COUNT && !voiced; part++)
            voiced = (playable >> part & 1u) &&
                     pnl_grammar_part_has_voice(grammar, part,
                                                grammar->bar_start_ticks + position);
        *pos = (uint8_t)(*pos && voiced);
    }
    if (!playable)
        mask[PNL_TOKEN_BAR] = (uint8_t)pnl_grammar_allows(grammar, PNL_TOKEN_BAR);
}

/* Keeps the bar hashes up to date with an accepted token. */
static void remember_bar(PnlGenerator *generator, int token)
{
    PnlFamily family = pnl_token_family(token);
    if (family == PNL_FAMILY_BAR) {
        if (generator->bar_onset_tokens > 0 &&
            generator->bar_onset_tokens == generator->last_bar_onset_tokens &&
            generator->bar_hash == generator->last_bar_hash)
            generator->last_bar_run++;
        else
            generator->last_bar_run = generator->bar_onset_tokens > 0;
        generator->last_bar_hash = generator->bar_hash;
        generator->last_bar_onset_tokens = generator->bar_onset_tokens;
        generator->bar_hash = PNL_FNV1A_START;
        generator->bar_onset_tokens = 0;
    } else if (family == PNL_FAMILY_POS || family == PNL_FAMILY_PITCH) {
        uint16_t id = (uint16_t)token;
        generator->bar_hash = pnl_fnv1a_add(generator->bar_hash, &id, sizeof id);
        generator->bar_onset_tokens++;
    }
}

/* Whether ending the bar now would play the last bar once more than
 * MAX_BARS_IN_A_ROW allows. */
static int bar_would_repeat_too_often(const PnlGenerator *generator)
{
    return generator->last_bar_run >= MAX_BARS_IN_A_ROW && generator->bar_onset_tokens > 0 &&
           generator->bar_onset_tokens == generator->last_bar_onset_tokens &&
           generator->bar_hash == generator->last_bar_hash;
}

static void forget_bars(PnlGenerator *generator)
{
    generator->bar_hash = generator->last_bar_hash = PNL_FNV1A_START;
    generator->bar_onset_tokens = generator->last_bar_onset_tokens = 0;
    generator->last_bar_run = 0;
}

/* Accepts a token the grammar allows, in the network's frame: decoder now,
 * network later. A completed note comes out in the music's key. */
static int accept(PnlGenerator *generator, int token, PnlNote *note)
{
    PnlNote scratch;
    if (!note)
        note = &scratch;
    int completed = pnl_decoder_push(&generator->decoder, token, note);
    if (completed < 0)
        return completed;
    if (completed)
        note->pitch = (uint8_t)(note->pitch + generator->key_shift);
    if (generator->pending_token >= 0)
        pnl_model_advance(generator->model, generator->state, generator->pending_token,
                          generator->composer);
    generator->pending_token = token;
    generator->token_count++;
    remember_bar(generator, token);
    return completed;
}

int pnl_generator_start(PnlGenerator *generator, const PnlGeneratorSettings *settings,
                        char *message, size_t message_size)
{
    int composer = pnl_model_find_composer(generator->model, settings->composer);
    /* A composer added in training opens its pieces with the token of the
     * class it started from (docs/weights-format.md). */
    const char *opener = pnl_model_composer_opener(generator->model, composer);
    int codec_composer = opener ? pnl_composer_index(opener) : -1;
    if (composer < 0 || codec_composer < 0) {
        snprintf(message, message_size, "no composer \"%s\" in %s", settings->composer,
                 composer < 0 ? "the model" : "the vocabulary");
        return PNL_EINVAL;
    }
    int source_token = pnl_token_source((PnlSourceKind)settings->source);
    if (source_token < 0) {
        snprintf(message, message_size, "no source kind %d", settings->source);
        return PNL_EINVAL;
    }
    int meter_token = -1;
    if (settings->meter_numerator || settings->meter_denominator) {
        meter_token = pnl_token_meter(settings->meter_numerator, settings->meter_denominator);
        if (meter_token < 0) {
            snprintf(message, message_size, "%d/%d is not a meter Pianola writes",
                     settings->meter_numerator, settings->meter_denominator);
            return PNL_EINVAL;
        }
    }
    generator->composer = composer;
    generator->composer_token = pnl_token_composer(codec_composer);
    generator->meter_token = meter_token;
    generator->key_shift = 0;
    if (pnl_model_key_frame(generator->model) && settings->key_shift >= -11 &&
        settings->key_shift <= 11)
        generator->key_shift = settings->key_shift;
    pnl_generator_set_sampling(generator, settings->temperature, settings->top_p);
    pnl_generator_set_steering(generator, &settings->steering);
    pnl_sampler_seed(generator->sampler, settings->seed);
    pnl_model_state_reset(generator->state);
    pnl_decoder_reset(&generator->decoder);
    /* A model that learned the DENSITY family writes one in every bar; an
     * older one never sees one (its logits stop before them). */
    pnl_grammar_set_density(&generator->decoder.grammar, generator->density_bars);
    /* An ensemble's roles keep their ranges as the music sounds, above
     * the network's frame. */
    pnl_grammar_set_range_shift(&generator->decoder.grammar, generator->key_shift);
    forget_bars(generator);
    generator->pending_token = -1;
    generator->token_count = 0;
    accept(generator, PNL_TOKEN_START, NULL);
    accept(generator, generator->composer_token, NULL);
    accept(generator, source_token, NULL);
    generator->just_started = 1;
    return PNL_OK;
}

void pnl_generator_set_sampling(PnlGenerator *generator, float temperature, float top_p)
{
    generator->temperature = temperature;
    generator->top_p = top_p;
}

void pnl_generator_set_steering(PnlGenerator *generator, const PnlSteering *steering)
{
    generator->steering = *steering;
    int asked = generator->density_bars && steering->density > PNL_DENSITY_AUTOMATIC &&
                steering->density < PNL_DENSITY_CHOICE_COUNT;
    pnl_model_state_ask_density(generator->state, asked ? steering->density - 1 : -1,
                                PNL_DENSITY_GUIDANCE);
}

void pnl_generator_reseed(PnlGenerator *generator, uint64_t seed)
{
    pnl_sampler_seed(generator->sampler, seed);
}

int pnl_generator_feed(PnlGenerator *generator, int token, PnlNote *note)
{
    if (generator->composer < 0)
        return PNL_EINVAL;
    if (generator->just_started && generator->token_count == 3) {
        /* The prompt's own opening repeats what start accepted: the
         * generator's composer and source stand, whoever the prompt was
         * encoded for. */
        PnlFamily family = pnl_token_family(token);
        if (token == PNL_TOKEN_START || family == PNL_FAMILY_COMPOSER)
            return 0;
        if (family == PNL_FAMILY_SOURCE) {
            generator->just_started = 0;
            return 0;
        }
    }
    generator->just_started = 0;
    /* A token beyond the model's own vocabulary (a PART for a piano
     * model) is one it has no embedding for. */
    if (token < 0 || token >= pnl_model_vocab_size(generator->model))
        return PNL_EINVAL;
    return accept(generator, move_pitch(token, -generator->key_shift), note);
}

int pnl_generator_prime(PnlGenerator *generator, const uint16_t *tokens, size_t count,
                        PnlNote *notes, size_t capacity, size_t *note_count, char *message,
                        size_t message_size)
{
    size_t found = 0;
    for (size_t i = 0; i < count && tokens[i] != PNL_TOKEN_END; i++) {
        PnlNote note;
        int status = pnl_generator_feed(generator, tokens[i], &note);
        if (status < 0) {
            char name[PNL_TOKEN_NAME_MAX];
            if (pnl_token_name(tokens[i], name, sizeof name) < 0)
                snprintf(name, sizeof name, "%u", tokens[i]);
            snprintf(message, message_size, "prompt token %zu (%s) cannot come there", i, name);
            if (note_count)
                *note_count = found;
            return PNL_EINVAL;
        }
        if (status == 1 && found < capacity && notes)
            notes[found] = note;
        found += status == 1;
    }
    if (note_count)
        *note_count = found;
    return PNL_OK;
}

int pnl_generator_next(PnlGenerator *generator, int *token_out, PnlNote *note)
{
    if (generator->composer < 0 || generator->pending_token < 0)
        return PNL_EINVAL;
    if (pnl_grammar_finished(&generator->decoder.grammar))
        return PNL_ERANGE;
    uint8_t *mask = generator->mask;
    pnl_grammar_mask(&generator->decoder.grammar, mask);
    /* A model knows only the tokens of its own vocabulary, a prefix of the
     * codec's: a piano model is never offered a PART token, so it composes
     * solo piano as it always did. */
    int model_vocab = pnl_model_vocab_size(generator->model);
    if (model_vocab < PNL_VOCAB_SIZE)
        memset(mask + model_vocab, 0, (size_t)(PNL_VOCAB_SIZE - model_vocab));
    /* The ensemble is the player's choice, not the network's: the
     * generator declares no roles, so it composes solo piano with any
     * model (a prompt's tokens may still declare some). */
    if (generator->decoder.grammar.bar_count == 0)
        memset(mask + PNL_TOKEN_PART_BASE, 0, PNL_PART_TOKEN_COUNT);
    /* The piece goes on for as long as it is asked to. */
    mask[PNL_TOKEN_END] = 0;
    if (generator->meter_token >= 0) {
        int base = pnl_family_base(PNL_FAMILY_METER), count = pnl_family_count(PNL_FAMILY_METER);
        /* Only the fixed meter, and only where the grammar wants a meter (the
         * first bar) or allows a change to it (a prompt in another meter). */
        uint8_t fixed_allowed = mask[generator->meter_token];
        memset(mask + base, 0, (size_t)count);
        mask[generator->meter_token] = fixed_allowed;
        /* Nor may a bar end with its last beat silent: the network ends a
         * 4/4 bar after its third beat ten times as often as 4/4 music does
         * (it has not learned to tell meters apart, docs/music-diagnosis.md),
         * so it has to go on with the bar until something sounds in that
         * beat; the corpus's 4/4 bars end silent 0.2-2% of the time. */
        int numerator = 0, denominator = 4;
        pnl_token_meter_of(generator->meter_token, &numerator, &denominator);
        if (!pnl_grammar_bar_tail_sounds(&generator->decoder.grammar,
                                         4 * PNL_TICKS_PER_QUARTER / denominator))
            mask[PNL_TOKEN_BAR] = 0;
    }
    /* No note the key shift would move off the piano, nor any outside the
     * register. */
    pnl_steering_mask(&generator->steering, generator->key_shift, mask);
    keep_to_playable_parts(generator, mask);
    if (bar_would_repeat_too_often(generator)) {
        /* Unless the bar cannot go on at all (its last onset on its last
         * tick, at the piano's top note). */
        mask[PNL_TOKEN_BAR] = 0;
        int others = 0;
        for (int id = 0; id < PNL_VOCAB_SIZE && !others; id++)
            others = mask[id];
        mask[PNL_TOKEN_BAR] = (uint8_t)!others;
    }
    const float *logits = pnl_model_step_allowed(generator->model, generator->state,
                                                 generator->pending_token, generator->composer,
                                                 mask);
    if (pnl_steering_leans(&generator->steering)) {
        for (int id = 0; id < PNL_VOCAB_SIZE; id++)
            generator->leaned[id] = mask[id] ? logits[id] : 0.0f;
        pnl_steering_lean(&generator->steering, mask, generator->leaned);
        logits = generator->leaned;
    }
    generator->pending_token = -1;
    int token = pnl_sampler_sample_event(generator->sampler, logits, mask,
                                         generator->temperature, generator->top_p);
    if (token < 0)
        return token;
    PnlNote scratch;
    if (!note)
        note = &scratch;
    int completed = pnl_decoder_push(&generator->decoder, token, note);
    if (completed < 0)
        return completed;
    if (completed)
        note->pitch = (uint8_t)(note->pitch + generator->key_shift);
    generator->pending_token = token;
    generator->token_count++;
    generator->just_started = 0;
    remember_bar(generator, token);
    if (token_out)
        *token_out = move_pitch(token, generator->key_shift);
    return completed;
}

void pnl_generator_position(const PnlGenerator *generator, PnlGeneratorPosition *position)
{
    const PnlGrammar *grammar = &generator->decoder.grammar;
    position->bar_count = grammar->bar_count;
    position->bar_start_ticks = pnl_grammar_bar_start_ticks(grammar);
    position->bar_ticks = pnl_grammar_bar_ticks(grammar);
    int64_t onset = pnl_grammar_onset_ticks(grammar);
    position->horizon_ticks = onset >= 0 ? onset : position->bar_start_ticks;
    position->token_count = generator->token_count;
    position->finished = pnl_grammar_finished(grammar);
}

static int goal_reached(const PnlGenerator *generator, const PnlGeneratorGoal *goal)
{
    PnlGeneratorPosition position;
    pnl_generator_position(generator, &position);
    if (goal->until_ticks >= 0 && position.horizon_ticks >= goal->until_ticks)
        return 1;
    if (goal->until_bars >= 0 && position.bar_count > goal->until_bars)
        return 1;
    return 0;
}

int pnl_generator_run(PnlGenerator *generator, const PnlGeneratorGoal *goal, PnlNote *notes,
                      size_t capacity, size_t *note_count)
{
    size_t written = 0;
    int status = PNL_OK;
    for (int made = 0; goal->max_tokens < 0 || made < goal->max_tokens; made++) {
        if (goal_reached(generator, goal) || written >= capacity)
            break;
        PnlNote note;
        int completed = pnl_generator_next(generator, NULL, &note);
        if (completed < 0) {
            status = completed;
            break;
        }
        if (completed)
            notes[written++] = note;
    }
    *note_count = written;
    return status;
}

void pnl_generator_copy(PnlGenerator *to, const PnlGenerator *from)
{
    pnl_model_state_copy(to->state, from->state);
    pnl_sampler_set_rng(to->sampler, pnl_sampler_rng(from->sampler));
    to->decoder = from->decoder;
    to->composer = from->composer;
    to->composer_token = from->composer_token;
    to->temperature = from->temperature;
    to->top_p = from->top_p;
    to->meter_token = from->meter_token;
    to->key_shift = from->key_shift;
    to->density_bars = from->density_bars;
    to->steering = from->steering;
    to->pending_token = from->pending_token;
    to->just_started = from->just_started;
    to->token_count = from->token_count;
    to->bar_hash = from->bar_hash;
    to->last_bar_hash = from->last_bar_hash;
    to->bar_onset_tokens = from->bar_onset_tokens;
    to->last_bar_onset_tokens = from->last_bar_onset_tokens;
    to->last_bar_run = from->last_bar_run;
}

int pnl_generator_density_bars(const PnlGenerator *generator)
{
    return generator->density_bars;
}
