/* The composing engine; see engine.h.
 *
 * Every stretch is composed afresh from a bounded context: the notes of the
 * last PNL_CONTEXT_BARS bars before it are encoded with the codec (the
 * window starts on a bar line, so positions in the bar are kept), fed to
 * the network as a prompt, and the generator runs until its horizon passes
 * the end of the stretch. The cost per bar is bounded (context plus one
 * bar of tokens), and the result depends only on the timeline before the
 * stretch, the settings and the seed. */
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
#include "vocabulary.h"

/* Four bars of context: continuing a captured C-major phrase (three seeds,
 * 8 bars each, tests/test_capture.c) the continuation's correlation with
 * the C-major key profile was -0.40 with 2 bars of context (the key lost),
 * 0.58 with 3, 0.82 with 4 and 0.51 with 8 (at twice the cost: 94 against
 * 46 ms of worker time per bar). */
enum {
    PNL_CONTEXT_BARS = 4,
    PNL_CONTEXT_TOKENS = 4096,
    PNL_GENERATED_NOTES = 2048,
    PNL_TOKENS_PER_JOB = 4096 /* a stretch never costs more steps than this */
};

struct PnlEngine {
    PnlModel *model;
    PnlGenerator *generator;
    PnlScore context;
    uint16_t *tokens;
    PnlNote *generated;
    PnlNote *primed;
};

static const char *const composer_choices[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};

void pnl_engine_free(PnlEngine *engine)
{
    if (!engine)
        return;
    pnl_generator_free(engine->generator);
    pnl_model_free(engine->model);
    pnl_score_free(&engine->context);
    free(engine->tokens);
    free(engine->generated);
    free(engine->primed);
    free(engine);
}

PnlEngine *pnl_engine_new(const char *model_path, PnlPrecision precision, char *message,
                          size_t message_size)
{
    PnlEngine *engine = calloc(1, sizeof *engine);
    if (!engine) {
        snprintf(message, message_size, "out of memory loading %s", model_path);
        return NULL;
    }
    pnl_score_init(&engine->context);
    engine->tokens = calloc(PNL_CONTEXT_TOKENS, sizeof *engine->tokens);
    engine->generated = calloc(PNL_GENERATED_NOTES, sizeof *engine->generated);
    engine->primed = calloc(PNL_GENERATED_NOTES, sizeof *engine->primed);
    if (!engine->tokens || !engine->generated || !engine->primed) {
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
    engine->generator = pnl_generator_new(engine->model, message, message_size);
    if (!engine->generator) {
        pnl_engine_free(engine);
        return NULL;
    }
    return engine;
}

/* The key the piece is composed in, as semitones above the network's C
 * major / A minor: the captured prompt's key when there is one (so the
 * network continues the player's phrase in its key), otherwise one chosen
 * by the seed (pnl_key_shift_of_prompt_or_seed). */
static int key_shift_of(const PnlComposeSettings *settings, const PnlTimelineNote *context,
                        uint32_t context_count)
{
    PnlKeyHistogram prompt;
    pnl_key_histogram_clear(&prompt);
    for (uint32_t i = 0; i < context_count; i++)
        if (context[i].origin == PNL_ORIGIN_PROMPT)
            pnl_key_histogram_add(&prompt, context[i].pitch, context[i].duration_ticks);
    return pnl_key_shift_of_prompt_or_seed(&prompt, settings->seed);
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
    const char *name = pnl_engine_composer_name(choice);
    if (pnl_model_find_composer(engine->model, name) >= 0 && pnl_composer_index(name) >= 0)
        return name;
    snprintf(message, message_size, "the model has no %s; using %s", name,
             pnl_model_composer_name(engine->model, 0));
    return pnl_model_composer_name(engine->model, 0);
}

int pnl_engine_compose(PnlEngine *engine, const PnlComposeSettings *settings,
                           const PnlTimelineNote *context, uint32_t context_count,
                           int32_t from_ticks, int32_t until_ticks, PnlTimelineNote *notes,
                           uint32_t max_notes, uint32_t *note_count, char *message,
                           size_t message_size)
{
    *note_count = 0;
    int numerator, denominator;
    pnl_engine_meter(settings, &numerator, &denominator);
    int32_t bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
    int64_t window_start = ((int64_t)from_ticks / bar_ticks - PNL_CONTEXT_BARS) * bar_ticks;
    if (window_start < 0)
        window_start = 0;

    char note_message[128] = "";
    int key_shift = key_shift_of(settings, context, context_count);
    PnlGeneratorSettings generator_settings = {
        .composer = model_composer(engine, settings->composer_choice, note_message,
                                   sizeof note_message),
        .temperature = settings->temperature,
        .top_p = settings->top_p,
        .seed = pnl_engine_stretch_seed(settings, from_ticks),
        .meter_numerator = numerator,
        .meter_denominator = denominator,
        .key_shift = key_shift};
    int status = pnl_generator_start(engine->generator, &generator_settings, message,
                                     message_size);
    if (status != PNL_OK)
        return status;

    /* The context: the timeline's last bars, moved so the window starts at 0. */
    pnl_score_clear(&engine->context);
    uint32_t first = context_count;
    while (first > 0 && context[first - 1].onset_ticks >= window_start)
        first--;
    status = pnl_score_add_meter(&engine->context,
                                 (PnlMeterChange){0, (uint8_t)numerator, (uint8_t)denominator});
    for (uint32_t i = first; i < context_count && status == PNL_OK; i++) {
        /* Music composed in another key (before the seed or the prompt
         * changed) can hold pitches the shift moves off the piano; such a
         * note is left out of the context rather than folded into it. */
        if (pnl_model_key_frame(engine->model) &&
            !pnl_key_shift_keeps_on_piano(context[i].pitch, key_shift))
            continue;
        PnlNote note = {.onset_ticks = context[i].onset_ticks - window_start,
                        .duration_ticks = context[i].duration_ticks,
                        .pitch = context[i].pitch,
                        .velocity = context[i].velocity};
        status = pnl_score_add_note(&engine->context, note);
    }
    if (status != PNL_OK) {
        snprintf(message, message_size, "out of memory building the context");
        return status;
    }
    if (context_count > first) {
        pnl_score_normalize(&engine->context, NULL);
        size_t token_count = 0;
        int composer_index = pnl_composer_index(generator_settings.composer);
        status = pnl_encode(&engine->context, composer_index, engine->tokens,
                            PNL_CONTEXT_TOKENS, &token_count, message, message_size);
        if (status != PNL_OK)
            return status;
        size_t primed = 0;
        status = pnl_generator_prime(engine->generator, engine->tokens, token_count,
                                     engine->primed, PNL_GENERATED_NOTES, &primed, message,
                                     message_size);
        if (status != PNL_OK)
            return status;
    }

    PnlGeneratorGoal goal = {.until_ticks = (int64_t)until_ticks - window_start,
                             .until_bars = -1,
                             .max_tokens = PNL_TOKENS_PER_JOB};
    size_t generated = 0;
    status = pnl_generator_run(engine->generator, &goal, engine->generated,
                               PNL_GENERATED_NOTES, &generated);
    if (status != PNL_OK) {
        snprintf(message, message_size, "the generator stopped (status %d)", status);
        return status;
    }
    for (size_t i = 0; i < generated && *note_count < max_notes; i++) {
        const PnlNote *note = &engine->generated[i];
        int64_t onset = note->onset_ticks + window_start;
        if (onset < from_ticks || onset >= until_ticks)
            continue;
        int32_t duration = note->duration_ticks < 1 ? 1 : note->duration_ticks;
        notes[(*note_count)++] = (PnlTimelineNote){
            .onset_ticks = (int32_t)onset, .duration_ticks = duration, .pitch = note->pitch,
            .velocity = note->velocity ? note->velocity : 1, .origin = PNL_ORIGIN_GENERATED};
    }
    return PNL_OK;
}
