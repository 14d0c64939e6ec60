/* The bar writer: the bundled model and the generator, on the worker; see
 * bar_writer.h.
 *
 * Every stretch is composed afresh from a bounded context: the notes of the
 * last PNL_CONTEXT_BARS bars before it are encoded with the codec (the
 * window starts on a bar line, so positions in the bar are kept), fed to
 * the network as a prompt, and the generator runs until its horizon passes
 * the end of the stretch. The cost per bar is bounded (context plus one
 * bar of tokens), and the result depends only on the timeline before the
 * stretch, the settings and the seed. */
#include "bar_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "generator.h"
#include "hash.h"
#include "key.h"
#include "model.h"
#include "ports.h"
#include "score.h"
#include "status.h"
#include "uris.h"
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

struct PnlBarWriter {
    PnlModel *model;
    PnlGenerator *generator;
    PnlScore context;
    uint16_t *tokens;
    PnlNote *generated;
    PnlNote *primed;
};

static const char *const composer_choices[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)};

void pnl_bar_writer_free(PnlBarWriter *writer)
{
    if (!writer)
        return;
    pnl_generator_free(writer->generator);
    pnl_model_free(writer->model);
    pnl_score_free(&writer->context);
    free(writer->tokens);
    free(writer->generated);
    free(writer->primed);
    free(writer);
}

PnlBarWriter *pnl_bar_writer_new(const char *bundle_path, char *message, size_t message_size)
{
    char path[1100];
    size_t length = strlen(bundle_path);
    snprintf(path, sizeof path, "%s%smodels/pianola.pnm", bundle_path,
             length && bundle_path[length - 1] == '/' ? "" : "/");
    PnlBarWriter *writer = calloc(1, sizeof *writer);
    if (!writer) {
        snprintf(message, message_size, "out of memory loading %s", path);
        return NULL;
    }
    pnl_score_init(&writer->context);
    writer->tokens = calloc(PNL_CONTEXT_TOKENS, sizeof *writer->tokens);
    writer->generated = calloc(PNL_GENERATED_NOTES, sizeof *writer->generated);
    writer->primed = calloc(PNL_GENERATED_NOTES, sizeof *writer->primed);
    if (!writer->tokens || !writer->generated || !writer->primed) {
        snprintf(message, message_size, "out of memory loading %s", path);
        pnl_bar_writer_free(writer);
        return NULL;
    }
    /* 8-bit weights: a network step reads a quarter of the bytes, which is
     * what bounds its speed (docs/engine.md), and composing is most of the
     * worker's time; the music stays the network's (logits within ~0.1). */
    if (pnl_model_load_with_precision(path, pnl_vocab_signature(), (uint32_t)pnl_vocab_size(),
                                      PNL_PRECISION_INT8, &writer->model, message,
                                      message_size) != PNL_OK) {
        pnl_bar_writer_free(writer);
        return NULL;
    }
    writer->generator = pnl_generator_new(writer->model, message, message_size);
    if (!writer->generator) {
        pnl_bar_writer_free(writer);
        return NULL;
    }
    return writer;
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

/* The meter of the table nearest the host's (n/4 for quarter beats, n/8 for
 * eighths...). */
static void meter_of(const PnlComposeSettings *settings, int *numerator, int *denominator)
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

static const char *composer_name(const PnlBarWriter *writer, int choice, char *message,
                                 size_t message_size)
{
    if (choice < 0 || choice >= PNL_COMPOSER_CHOICE_COUNT)
        choice = 0;
    const char *name = composer_choices[choice];
    if (pnl_model_find_composer(writer->model, name) >= 0 && pnl_composer_index(name) >= 0)
        return name;
    /* A model without this composer (one trained on other music) still
     * composes, in its first style. */
    snprintf(message, message_size, "the model has no %s; using %s", name,
             pnl_model_composer_name(writer->model, 0));
    return pnl_model_composer_name(writer->model, 0);
}

int pnl_bar_writer_compose(PnlBarWriter *writer, const PnlComposeSettings *settings,
                           const PnlTimelineNote *context, uint32_t context_count,
                           int32_t from_ticks, int32_t until_ticks, PnlTimelineNote *notes,
                           uint32_t max_notes, uint32_t *note_count, char *message,
                           size_t message_size)
{
    *note_count = 0;
    int numerator, denominator;
    meter_of(settings, &numerator, &denominator);
    int32_t bar_ticks = pnl_meter_bar_ticks(numerator, denominator);
    int64_t window_start = ((int64_t)from_ticks / bar_ticks - PNL_CONTEXT_BARS) * bar_ticks;
    if (window_start < 0)
        window_start = 0;

    char note_message[128] = "";
    int key_shift = key_shift_of(settings, context, context_count);
    PnlGeneratorSettings generator_settings = {
        .composer = composer_name(writer, settings->composer_choice, note_message,
                                  sizeof note_message),
        .temperature = settings->temperature,
        .top_p = settings->top_p,
        /* One seed per stretch from the settings. */
        .seed = pnl_splitmix64(((uint64_t)settings->seed << 32 | settings->variation) ^
                               pnl_splitmix64((uint64_t)(uint32_t)from_ticks)),
        .meter_numerator = numerator,
        .meter_denominator = denominator,
        .key_shift = key_shift};
    int status = pnl_generator_start(writer->generator, &generator_settings, message,
                                     message_size);
    if (status != PNL_OK)
        return status;

    /* The context: the timeline's last bars, moved so the window starts at 0. */
    pnl_score_clear(&writer->context);
    uint32_t first = context_count;
    while (first > 0 && context[first - 1].onset_ticks >= window_start)
        first--;
    status = pnl_score_add_meter(&writer->context,
                                 (PnlMeterChange){0, (uint8_t)numerator, (uint8_t)denominator});
    for (uint32_t i = first; i < context_count && status == PNL_OK; i++) {
        /* Music composed in another key (before the seed or the prompt
         * changed) can hold pitches the shift moves off the piano; such a
         * note is left out of the context rather than folded into it. */
        if (pnl_model_key_frame(writer->model) &&
            !pnl_key_shift_keeps_on_piano(context[i].pitch, key_shift))
            continue;
        PnlNote note = {.onset_ticks = context[i].onset_ticks - window_start,
                        .duration_ticks = context[i].duration_ticks,
                        .pitch = context[i].pitch,
                        .velocity = context[i].velocity};
        status = pnl_score_add_note(&writer->context, note);
    }
    if (status != PNL_OK) {
        snprintf(message, message_size, "out of memory building the context");
        return status;
    }
    if (context_count > first) {
        pnl_score_normalize(&writer->context, NULL);
        size_t token_count = 0;
        int composer_index = pnl_composer_index(generator_settings.composer);
        status = pnl_encode(&writer->context, composer_index, writer->tokens,
                            PNL_CONTEXT_TOKENS, &token_count, message, message_size);
        if (status != PNL_OK)
            return status;
        size_t primed = 0;
        status = pnl_generator_prime(writer->generator, writer->tokens, token_count,
                                     writer->primed, PNL_GENERATED_NOTES, &primed, message,
                                     message_size);
        if (status != PNL_OK)
            return status;
    }

    PnlGeneratorGoal goal = {.until_ticks = (int64_t)until_ticks - window_start,
                             .until_bars = -1,
                             .max_tokens = PNL_TOKENS_PER_JOB};
    size_t generated = 0;
    status = pnl_generator_run(writer->generator, &goal, writer->generated,
                               PNL_GENERATED_NOTES, &generated);
    if (status != PNL_OK) {
        snprintf(message, message_size, "the generator stopped (status %d)", status);
        return status;
    }
    for (size_t i = 0; i < generated && *note_count < max_notes; i++) {
        const PnlNote *note = &writer->generated[i];
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
