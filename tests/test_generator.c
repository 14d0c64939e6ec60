/* The generator composes grammatical music, repeats it exactly for the same
 * seed and settings, stops where a job says, keeps a fixed meter, continues a
 * prompt, copies its whole state, and allocates nothing while composing.
 *
 * The network is a small random one with the codec's vocabulary and
 * composers: these tests check the loop, not the music. Whether the output
 * is grammatical is judged by the codec's own decoder (pnl_decode). */
#include "check.h"
#include "random_model.h"
#include "parts.h"
#include "codec.h"
#include "generator.h"
#include "key.h"
#include "model.h"
#include "score.h"
#include "status.h"
#include "vocabulary.h"
#include "weights.h"

#include <math.h>
#include <stdint.h>

/* ---- Counting allocations (glibc): every malloc-family call in the
 * program passes through these while `counting` is set. Sanitizer builds
 * have their own allocator and skip the check. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef COUNT_ALLOCATIONS
#define COUNT_ALLOCATIONS 1
#endif

static int counting;
static long allocations;

#if COUNT_ALLOCATIONS
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *memory, size_t size);
extern void __libc_free(void *memory);

void *malloc(size_t size)
{
    allocations += counting;
    return __libc_malloc(size);
}
void *calloc(size_t count, size_t size)
{
    allocations += counting;
    return __libc_calloc(count, size);
}
void *realloc(void *memory, size_t size)
{
    allocations += counting;
    return __libc_realloc(memory, size);
}
void free(void *memory)
{
    allocations += counting && memory;
    __libc_free(memory);
}
#endif

/* The composers' names written into `weights`, then the model built from
 * them (NULL, said on stdout, if it cannot be); the weights are freed. */
static PnlModel *model_of(PnlWeights *weights)
{
    for (int k = 0; k < PNL_COMPOSER_COUNT; k++)
        snprintf(weights->composer_names[k], sizeof weights->composer_names[k], "%s",
                 pnl_composer_name(k));
    PnlModel *model = NULL;
    char message[256];
    if (pnl_model_new(weights, &model, message, sizeof message) != PNL_OK)
        printf("# %s\n", message);
    pnl_weights_free(weights);
    return model;
}

static PnlModel *small_model_of(uint32_t flags, int vocab_size)
{
    PnlWeights *weights = pnl_weights_new_lstm(pnl_vocab_prefix_signature(vocab_size),
                                               (uint32_t)vocab_size, PNL_COMPOSER_COUNT, 16, 32, 2);
    uint64_t seed = 2024;
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        for (size_t i = 0; i < weights->tensors[t].count; i++)
            weights->tensors[t].data[i] = random_model_weight(&seed);
    weights->flags = flags;
    return model_of(weights);
}

static PnlModel *small_model_with_flags(uint32_t flags)
{
    return small_model_of(flags, PNL_VOCAB_SIZE);
}

static PnlModel *small_model(void)
{
    return small_model_with_flags(0);
}

/* A network that gives the same logits after every token: its weights are
 * zero but for the output bias, which is `logits`. */
static PnlModel *constant_model(const float *logits)
{
    PnlWeights *weights = pnl_weights_new_lstm(pnl_vocab_signature(), PNL_VOCAB_SIZE,
                                               PNL_COMPOSER_COUNT, 8, 8, 1);
    for (uint32_t t = 0; t < weights->tensor_count; t++)
        if (strcmp(weights->tensors[t].name, "output.bias") == 0)
            memcpy(weights->tensors[t].data, logits, PNL_VOCAB_SIZE * sizeof *logits);
    return model_of(weights);
}

static PnlGeneratorSettings settings_of(uint64_t seed)
{
    PnlGeneratorSettings settings = {"mozart", 1.0f, 0.95f, seed, 0, 0, 0, {0},
                                         PNL_SOURCE_PERFORMED};
    return settings;
}

enum { MAX_TOKENS = 1200 };

/* Generates `count` tokens from silence; returns how many came. */
static size_t compose(PnlGenerator *generator, const PnlGeneratorSettings *settings,
                      uint16_t *tokens, size_t count)
{
    char message[256];
    if (pnl_generator_start(generator, settings, message, sizeof message) != PNL_OK)
        return 0;
    tokens[0] = PNL_TOKEN_START;
    tokens[1] = (uint16_t)pnl_token_composer(pnl_composer_index(settings->composer));
    size_t made = 2;
    while (made < count) {
        int token;
        if (pnl_generator_next(generator, &token, NULL) < 0)
            break;
        tokens[made++] = (uint16_t)token;
    }
    return made;
}

static void test_generated_tokens_are_grammatical_music(void)
{
    PnlModel *model = small_model();
    CHECK(model, "no model");
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    uint16_t tokens[MAX_TOKENS];
    PnlGeneratorSettings settings = settings_of(1);
    size_t count = compose(generator, &settings, tokens, MAX_TOKENS);
    CHECK(count == MAX_TOKENS, "only %zu of %d tokens came", count, MAX_TOKENS);
    PnlScore score;
    pnl_score_init(&score);
    char message[256] = "";
    int composer = -1;
    int status = pnl_decode(tokens, count, &score, &composer, message, sizeof message);
    CHECK(status == PNL_OK, "the codec refused the generated tokens: %s", message);
    CHECK(composer == pnl_composer_index("mozart"), "decoded composer %d, expected mozart",
          composer);
    CHECK(score.note_count > 50, "only %zu notes in %zu tokens", score.note_count, count);
    for (size_t i = 0; i < count; i++)
        CHECK(tokens[i] != PNL_TOKEN_END && tokens[i] != PNL_TOKEN_PAD,
              "token %zu is %s, which composing on must not produce", i,
              tokens[i] == PNL_TOKEN_END ? "END" : "PAD");
    pnl_score_free(&score);
    pnl_generator_free(generator);
    pnl_model_free(model);
}

static void test_same_seed_and_settings_give_the_same_tokens(void)
{
    PnlModel *model = small_model();
    PnlGenerator *first = pnl_generator_new(model, NULL, 0);
    PnlGenerator *second = pnl_generator_new(model, NULL, 0);
    uint16_t a[MAX_TOKENS], b[MAX_TOKENS];
    PnlGeneratorSettings settings = settings_of(77);
    size_t count_a = compose(first, &settings, a, MAX_TOKENS);
    size_t count_b = compose(second, &settings, b, MAX_TOKENS);
    CHECK(count_a == count_b && memcmp(a, b, count_a * sizeof a[0]) == 0,
          "two generators with seed 77 composed different tokens");
    /* The same generator restarted also repeats itself. */
    count_b = compose(first, &settings, b, MAX_TOKENS);
    CHECK(count_a == count_b && memcmp(a, b, count_a * sizeof a[0]) == 0,
          "restarting with seed 77 composed different tokens");
    settings.seed = 78;
    count_b = compose(second, &settings, b, MAX_TOKENS);
    size_t same = 0;
    for (size_t i = 0; i < count_a && i < count_b; i++)
        same += a[i] == b[i];
    CHECK(same < count_a * 3 / 4, "seeds 77 and 78 agree on %zu of %zu tokens", same, count_a);
    /* At temperature 0 each key, position, length and loudness is the best
     * guess, but how much happens is drawn at the network's odds
     * (sampler.h): the seed still counts, and still repeats itself. */
    settings = settings_of(1);
    settings.temperature = 0;
    count_a = compose(first, &settings, a, 300);
    count_b = compose(second, &settings, b, 300);
    CHECK(count_a == count_b && memcmp(a, b, count_a * sizeof a[0]) == 0,
          "at temperature 0 seed 1 composed different tokens twice");
    settings.seed = 2;
    count_b = compose(second, &settings, b, 300);
    CHECK(count_a != count_b || memcmp(a, b, count_a * sizeof a[0]) != 0,
          "at temperature 0 seeds 1 and 2 composed the same tokens");
    pnl_generator_free(first);
    pnl_generator_free(second);
    pnl_model_free(model);
}

static void test_jobs_stop_at_their_goal(void)
{
    PnlModel *model = small_model();
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    PnlGeneratorSettings settings = settings_of(5);
    settings.meter_numerator = 3;
    settings.meter_denominator = 4;
    char message[256];
    CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK, "%s",
          message);
    PnlNote notes[4096];
    size_t count = 0;
    PnlGeneratorPosition before, after;

    PnlGeneratorGoal bounded = {-1, -1, 40};
    pnl_generator_position(generator, &before);
    CHECK(pnl_generator_run(generator, &bounded, notes, 4096, &count) == PNL_OK, "run failed");
    pnl_generator_position(generator, &after);
    CHECK(after.token_count - before.token_count == 40, "a 40-token job made %zu tokens",
          after.token_count - before.token_count);

    /* Three bars of 3/4 end at tick 3 * 72 = 216. */
    PnlGeneratorGoal ticks = {216, -1, 100000};
    CHECK(pnl_generator_run(generator, &ticks, notes, 4096, &count) == PNL_OK, "run failed");
    pnl_generator_position(generator, &after);
    CHECK(after.horizon_ticks >= 216, "the horizon stopped at %lld, before tick 216",
          (long long)after.horizon_ticks);
    CHECK(after.bar_ticks == 72, "the fixed 3/4 bar is %d ticks, expected 72", after.bar_ticks);

    PnlGeneratorGoal bars = {-1, 8, 100000};
    CHECK(pnl_generator_run(generator, &bars, notes, 4096, &count) == PNL_OK, "run failed");
    pnl_generator_position(generator, &after);
    CHECK(after.bar_count == 9 && after.bar_start_ticks == 8 * 72,
          "after an 8-bar goal: bar %d starting at %lld, expected bar 9 at 576", after.bar_count,
          (long long)after.bar_start_ticks);
    for (size_t i = 0; i < count; i++)
        CHECK(notes[i].onset_ticks < 8 * 72, "note %zu at tick %lld lies past bar 8", i,
              (long long)notes[i].onset_ticks);

    PnlGeneratorGoal small_buffer = {-1, 1000, 100000};
    CHECK(pnl_generator_run(generator, &small_buffer, notes, 3, &count) == PNL_OK, "run failed");
    CHECK(count == 3, "a job with room for 3 notes wrote %zu", count);
    pnl_generator_free(generator);
    pnl_model_free(model);
}

static void test_fixed_meter_is_kept_in_every_bar(void)
{
    PnlModel *model = small_model();
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    PnlGeneratorSettings settings = settings_of(9);
    settings.meter_numerator = 6;
    settings.meter_denominator = 8;
    settings.temperature = 1.5f;
    settings.top_p = 1.0f;
    uint16_t tokens[MAX_TOKENS];
    size_t count = compose(generator, &settings, tokens, MAX_TOKENS);
    int meters = 0, bars = 0, six_eight = pnl_token_meter(6, 8);
    for (size_t i = 0; i < count; i++) {
        if (pnl_token_family(tokens[i]) == PNL_FAMILY_METER) {
            meters++;
            CHECK(tokens[i] == six_eight, "token %zu is a meter other than 6/8", i);
        }
        bars += tokens[i] == PNL_TOKEN_BAR;
        if (tokens[i] == PNL_TOKEN_BAR && i + 1 < count)
            CHECK(tokens[i + 1] == six_eight, "the bar at token %zu does not name 6/8", i);
    }
    CHECK(meters >= bars - 1 && meters > 1, "%d bars named %d meters", bars, meters);
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* A C-major phrase: C4 E4 G4 C5 as quarters in 4/4. */
static size_t c_major_prompt(uint16_t *tokens, size_t capacity)
{
    PnlScore score;
    pnl_score_init(&score);
    static const int pitches[] = {60, 64, 67, 72};
    for (int i = 0; i < 4; i++) {
        PnlNote note = {i * 24, 24, (uint8_t)pitches[i], 80, 0, 0};
        pnl_score_add_note(&score, note);
    }
    PnlMeterChange meter = {0, 4, 4};
    pnl_score_add_meter(&score, meter);
    pnl_score_normalize(&score, NULL);
    size_t count = 0;
    char message[256];
    /* With the DENSITY token after the meter, as for the small model. */
    int status = pnl_encode_piece(&score, pnl_composer_index("mozart"), -1, 1, tokens, capacity,
                                  &count, message, sizeof message);
    pnl_score_free(&score);
    return status == PNL_OK ? count : 0;
}

static void test_a_prompt_is_replayed_then_continued(void)
{
    PnlModel *model = small_model();
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    PnlGeneratorSettings settings = settings_of(3);
    char message[256] = "";
    uint16_t prompt[64];
    size_t prompt_count = c_major_prompt(prompt, 64);
    CHECK(prompt_count > 10 && prompt[prompt_count - 1] == PNL_TOKEN_END,
          "the codec encoded the prompt as %zu tokens", prompt_count);

    CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK, "%s",
          message);
    PnlNote notes[64];
    size_t note_count = 0;
    int status = pnl_generator_prime(generator, prompt, prompt_count, notes, 64, &note_count,
                                     message, sizeof message);
    CHECK(status == PNL_OK, "priming failed: %s", message);
    CHECK(note_count == 4 && notes[0].pitch == 60 && notes[3].pitch == 72 &&
              notes[3].onset_ticks == 72,
          "priming gave %zu notes, expected the prompt's 4", note_count);
    PnlGeneratorPosition position;
    pnl_generator_position(generator, &position);
    CHECK(!position.finished && position.horizon_ticks == 72,
          "after the prompt: finished %d, horizon %lld (expected 0 and 72)", position.finished,
          (long long)position.horizon_ticks);
    PnlGeneratorGoal goal = {-1, 4, 100000};
    PnlNote more[4096];
    size_t more_count = 0;
    CHECK(pnl_generator_run(generator, &goal, more, 4096, &more_count) == PNL_OK, "run failed");
    CHECK(more_count > 0, "no notes after the prompt");
    for (size_t i = 0; i < more_count; i++)
        CHECK(more[i].onset_ticks >= 72, "continuation note %zu at tick %lld precedes the prompt's last",
              i, (long long)more[i].onset_ticks);

    /* Without the prompt the same seed composes something else. */
    PnlGenerator *silent = pnl_generator_new(model, NULL, 0);
    pnl_generator_start(silent, &settings, message, sizeof message);
    PnlNote other[4096];
    size_t other_count = 0;
    pnl_generator_run(silent, &goal, other, 4096, &other_count);
    int differs = other_count != more_count;
    for (size_t i = 0; !differs && i < more_count; i++)
        differs = other[i].pitch != more[i].pitch || other[i].onset_ticks != more[i].onset_ticks;
    CHECK(differs, "the prompt did not change the continuation");

    /* A token the grammar forbids is refused and changes nothing. */
    uint16_t bad[] = {PNL_TOKEN_START, (uint16_t)pnl_token_composer(0), PNL_TOKEN_BAR,
                      (uint16_t)pnl_token_pitch(60)};
    pnl_generator_start(silent, &settings, message, sizeof message);
    status = pnl_generator_prime(silent, bad, 4, NULL, 0, NULL, message, sizeof message);
    CHECK(status == PNL_EINVAL && strstr(message, "prompt token 3 (PITCH_60)"),
          "expected PNL_EINVAL naming token 3, got %d \"%s\"", status, message);
    pnl_generator_free(silent);
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* A key-normalized network composes in C major / A minor: with a key shift
 * the generator feeds it the prompt moved into that frame and moves what it
 * composes back out, never off the piano; other networks ignore the shift. */
static void test_a_key_shift_moves_music_in_and_out_of_the_frame(void)
{
    PnlModel *framed = small_model_with_flags(PNL_WEIGHTS_FLAG_KEY_FRAME);
    PnlModel *plain = small_model();
    CHECK(framed && plain && pnl_model_key_frame(framed) && !pnl_model_key_frame(plain),
          "key frame flag not carried into the model");
    char message[256] = "";
    uint16_t prompt[64], moved[64];
    size_t prompt_count = c_major_prompt(prompt, 64);
    memcpy(moved, prompt, sizeof prompt);
    enum { SHIFT = -3, COUNT = 400 };
    pnl_key_move_tokens(moved, prompt_count, -SHIFT);

    /* The shifted generator fed the prompt, and an unshifted one fed the
     * prompt moved into the frame, think alike: greedy choices agree note
     * for note, SHIFT semitones apart. */
    PnlGenerator *shifted = pnl_generator_new(framed, NULL, 0);
    PnlGenerator *unshifted = pnl_generator_new(framed, NULL, 0);
    PnlGeneratorSettings settings = settings_of(9);
    settings.temperature = 0.0f;
    settings.key_shift = SHIFT;
    pnl_generator_start(shifted, &settings, message, sizeof message);
    settings.key_shift = 0;
    pnl_generator_start(unshifted, &settings, message, sizeof message);
    PnlNote fed[64], fed_moved[64];
    size_t fed_count = 0, fed_moved_count = 0;
    CHECK(pnl_generator_prime(shifted, prompt, prompt_count, fed, 64, &fed_count, message,
                              sizeof message) == PNL_OK, "%s", message);
    pnl_generator_prime(unshifted, moved, prompt_count, fed_moved, 64, &fed_moved_count, message,
                        sizeof message);
    CHECK(fed_count == 4 && fed[0].pitch == 60 && fed[3].pitch == 72,
          "the prompt's notes should come back in its own key");
    CHECK(fed_moved[0].pitch == 60 - SHIFT, "the moved prompt starts on %d", fed_moved[0].pitch);
    size_t notes = 0;
    for (int i = 0; i < COUNT; i++) {
        int a, b;
        PnlNote note_a, note_b;
        int done_a = pnl_generator_next(shifted, &a, &note_a);
        int done_b = pnl_generator_next(unshifted, &b, &note_b);
        /* The one way they may part: the frame's lowest pitches, which the
         * shift would move off the piano, are closed to the shifted one. */
        if (pnl_token_family(b) == PNL_FAMILY_PITCH &&
            PNL_LOWEST_PITCH + pnl_token_offset(b) + SHIFT < PNL_LOWEST_PITCH) {
            printf("# parted at token %d\n", i);
            break;
        }
        CHECK(done_a == done_b, "token %d: one completed a note, the other not", i);
        uint16_t b_moved = (uint16_t)b;
        pnl_key_move_tokens(&b_moved, 1, SHIFT);
        CHECK(a == b_moved, "token %d: %d, expected %d moved up %d", i, a, b, SHIFT);
        if (done_a == 1) {
            CHECK(note_a.pitch == note_b.pitch + SHIFT && note_a.onset_ticks == note_b.onset_ticks,
                  "note %zu: pitch %d, expected %d + %d", notes, note_a.pitch, note_b.pitch,
                  SHIFT);
            notes++;
        }
    }
    CHECK(notes > 20, "only %zu notes", notes);

    /* At the largest shifts nothing leaves the piano. */
    for (int shift = -11; shift <= 11; shift += 22) {
        settings.key_shift = shift;
        settings.temperature = 1.5f;
        settings.top_p = 1.0f;
        pnl_generator_start(shifted, &settings, message, sizeof message);
        for (int i = 0; i < 3000; i++) {
            PnlNote note;
            int token;
            int done = pnl_generator_next(shifted, &token, &note);
            CHECK(done >= 0, "shift %d: generation stopped at token %d", shift, i);
            if (done == 1)
                CHECK(note.pitch >= PNL_LOWEST_PITCH && note.pitch <= PNL_HIGHEST_PITCH,
                      "shift %d: note %d off the piano", shift, note.pitch);
        }
    }

    /* A network without the frame ignores the shift. */
    PnlGenerator *plain_a = pnl_generator_new(plain, NULL, 0);
    PnlGenerator *plain_b = pnl_generator_new(plain, NULL, 0);
    settings = settings_of(4);
    settings.key_shift = 5;
    uint16_t tokens_a[MAX_TOKENS], tokens_b[MAX_TOKENS];
    size_t count_a = compose(plain_a, &settings, tokens_a, 300);
    settings.key_shift = 0;
    size_t count_b = compose(plain_b, &settings, tokens_b, 300);
    CHECK(count_a == count_b && memcmp(tokens_a, tokens_b, count_a * sizeof *tokens_a) == 0,
          "a key shift changed a network that has no key frame");
    pnl_generator_free(plain_a);
    pnl_generator_free(plain_b);
    pnl_generator_free(shifted);
    pnl_generator_free(unshifted);
    pnl_model_free(framed);
    pnl_model_free(plain);
}

/* Density: a model with the DENSITY family writes one after every METER;
 * a set density is that step's token in every bar. */
static void test_a_set_density_is_the_token_of_every_bar(void)
{
    PnlModel *model = small_model();
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    CHECK(generator && pnl_generator_density_bars(generator),
          "a model of the whole vocabulary should write DENSITY tokens");
    uint16_t tokens[MAX_TOKENS];
    for (int density = PNL_DENSITY_AUTOMATIC; density < PNL_DENSITY_CHOICE_COUNT; density++) {
        PnlGeneratorSettings settings = settings_of(5);
        settings.meter_numerator = 4;
        settings.meter_denominator = 4;
        settings.steering.density = density;
        size_t count = compose(generator, &settings, tokens, MAX_TOKENS);
        int bars = 0, steps_seen = 0;
        for (size_t i = 0; i < count; i++) {
            if (pnl_token_family(tokens[i]) == PNL_FAMILY_METER) {
                bars++;
                CHECK(i + 1 < count && pnl_token_family(tokens[i + 1]) == PNL_FAMILY_DENSITY,
                      "density %d: bar %d's METER is not followed by a DENSITY token", density,
                      bars);
            }
            if (pnl_token_family(tokens[i]) != PNL_FAMILY_DENSITY)
                continue;
            steps_seen |= 1 << pnl_token_offset(tokens[i]);
            CHECK(i > 0 && pnl_token_family(tokens[i - 1]) == PNL_FAMILY_METER,
                  "density %d: a DENSITY token at %zu does not follow a METER", density, i);
            if (density > PNL_DENSITY_AUTOMATIC)
                CHECK(tokens[i] == pnl_token_density(density - 1),
                      "density %d: bar %d has DENSITY_%s", density, bars,
                      pnl_density_name(pnl_token_offset(tokens[i])));
        }
        CHECK(bars >= 3, "density %d: only %d bars in %zu tokens", density, bars, count);
        if (density == PNL_DENSITY_AUTOMATIC)
            CHECK(steps_seen & (steps_seen - 1),
                  "automatic: the network chose only one step (mask %x) in %d bars", steps_seen,
                  bars);
    }
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* A model trained before the DENSITY family (the bundled one until it is
 * retrained) composes no DENSITY token, and a set density changes nothing. */
static void test_a_model_before_density_ignores_a_set_density(void)
{
    PnlModel *model = small_model_of(0, PNL_VOCAB_SIZE_BEFORE_DENSITY);
    PnlGenerator *generator = model ? pnl_generator_new(model, NULL, 0) : NULL;
    CHECK(generator && !pnl_generator_density_bars(generator),
          "a model of the vocabulary before DENSITY should compose without it");
    static uint16_t automatic[MAX_TOKENS], forced[MAX_TOKENS];
    PnlGeneratorSettings settings = settings_of(6);
    size_t automatic_count = compose(generator, &settings, automatic, MAX_TOKENS);
    settings.steering.density = PNL_DENSITY_CHOICE_COUNT - 1;
    size_t forced_count = compose(generator, &settings, forced, MAX_TOKENS);
    CHECK(automatic_count == MAX_TOKENS && forced_count == automatic_count &&
              !memcmp(automatic, forced, sizeof automatic),
          "a set density changed the older model's tokens");
    for (size_t i = 0; i < forced_count; i++)
        CHECK(pnl_token_family(forced[i]) != PNL_FAMILY_DENSITY && forced[i] < PNL_VOCAB_SIZE_BEFORE_DENSITY,
              "token %zu is %d, outside the older model's vocabulary", i, forced[i]);
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* A network of one LSTM unit that remembers the bar's DENSITY token and
 * ends bars sooner the sparser it is: a DENSITY token opens the input gate
 * and shuts the forget gate, writing tanh(0.5 x) into the cell (x = 1,
 * 1.25, .. 2 from sparse to very busy); every other token (x = 0) leaves
 * the cell as it is. The BAR token's logit falls 40 per unit of the
 * output; every other logit is 0. So the music's density follows the
 * token, which is all the generator's plumbing has to carry; what a
 * trained network does with it is measured after training
 * (docs/training.md). */
static PnlModel *density_biased_model(void)
{
    PnlWeights *weights = pnl_weights_new_lstm(pnl_vocab_signature(), PNL_VOCAB_SIZE,
                                               PNL_COMPOSER_COUNT, 1, 1, 1);
    for (uint32_t t = 0; t < weights->tensor_count; t++) {
        PnlTensor *tensor = &weights->tensors[t];
        const char *name = tensor->name;
        if (!strcmp(name, "token_embedding")) {
            for (int step = 0; step < PNL_DENSITY_COUNT; step++)
                tensor->data[pnl_token_density(step)] = 1.0f + 0.25f * (float)step;
        } else if (!strcmp(name, "lstm.0.weight_ih")) {
            /* Gate rows i, f, g, o. */
            tensor->data[0] = 40.0f;
            tensor->data[1] = -40.0f;
            tensor->data[2] = 0.5f;
        } else if (!strcmp(name, "lstm.0.bias_ih")) {
            tensor->data[0] = -20.0f;
            tensor->data[1] = 20.0f;
            tensor->data[3] = 20.0f;
        } else if (!strcmp(name, "output.weight")) {
            tensor->data[PNL_TOKEN_BAR] = -40.0f;
        } else if (!strcmp(name, "output.bias")) {
            /* Level with no bar line at an output of 0.6, near busy (0.61). */
            tensor->data[PNL_TOKEN_BAR] = 40.0f * 0.60f;
        }
    }
    return model_of(weights);
}

static void test_notes_per_beat_rise_with_a_set_density_step(void)
{
    PnlModel *model = density_biased_model();
    PnlGenerator *generator = model ? pnl_generator_new(model, NULL, 0) : NULL;
    CHECK(generator, "no generator for the density-biased model");
    enum { BARS = 16 };
    double previous = -1.0;
    for (int density = 1; density < PNL_DENSITY_CHOICE_COUNT; density++) {
        long notes = 0, beats = 0;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            PnlGeneratorSettings settings = settings_of(seed);
            settings.meter_numerator = 4;
            settings.meter_denominator = 4;
            settings.steering.density = density;
            char message[256] = "";
            CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK,
                  "%s", message);
            PnlGeneratorGoal goal = {.until_ticks = -1, .until_bars = BARS, .max_tokens = 20000};
            static PnlNote composed[8192];
            size_t count = 0;
            CHECK(pnl_generator_run(generator, &goal, composed, 8192, &count) == PNL_OK,
                  "density %d, seed %d: the generator stopped", density, (int)seed);
            PnlGeneratorPosition position;
            pnl_generator_position(generator, &position);
            CHECK(position.bar_count > BARS, "density %d, seed %d: %d bars", density, (int)seed,
                  position.bar_count);
            notes += (long)count;
            beats += 4L * BARS;
        }
        double per_beat = (double)notes / (double)beats;
        printf("# DENSITY_%-9s %5.2f notes per beat (%ld notes)\n",
               pnl_density_name(density - 1), per_beat, notes);
        CHECK(per_beat > previous, "notes per beat fell from %.2f to %.2f at DENSITY_%s",
              previous, per_beat, pnl_density_name(density - 1));
        previous = per_beat;
    }
    pnl_generator_free(generator);
    pnl_model_free(model);
}

static void test_a_copy_continues_exactly_like_the_original(void)
{
    PnlModel *model = small_model();
    PnlGenerator *original = pnl_generator_new(model, NULL, 0);
    PnlGenerator *copy = pnl_generator_new(model, NULL, 0);
    PnlGeneratorSettings settings = settings_of(21);
    char message[256];
    pnl_generator_start(original, &settings, message, sizeof message);
    PnlGeneratorGoal goal = {-1, -1, 333};
    PnlNote notes[1024], copied[1024];
    size_t count = 0, copied_count = 0;
    pnl_generator_run(original, &goal, notes, 1024, &count);
    pnl_generator_copy(copy, original);
    pnl_generator_run(original, &goal, notes, 1024, &count);
    pnl_generator_run(copy, &goal, copied, 1024, &copied_count);
    CHECK(count == copied_count && count > 0 &&
              memcmp(notes, copied, count * sizeof notes[0]) == 0,
          "the copy composed %zu notes, the original %zu, not the same", copied_count, count);
    pnl_generator_free(original);
    pnl_generator_free(copy);
    pnl_model_free(model);
}

static void test_composing_allocates_nothing(void)
{
    if (!COUNT_ALLOCATIONS) {
        printf("# allocation counting is off in sanitizer builds\n");
        return;
    }
    PnlModel *model = small_model();
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    PnlGenerator *snapshot = pnl_generator_new(model, NULL, 0);
    PnlGeneratorSettings settings = settings_of(4);
    uint16_t prompt[64];
    size_t prompt_count = c_major_prompt(prompt, 64);
    PnlNote notes[2048];
    size_t count;
    char message[256];
    PnlGeneratorGoal goal = {-1, 6, 2000};
    counting = 1;
    allocations = 0;
    pnl_generator_start(generator, &settings, message, sizeof message);
    pnl_generator_prime(generator, prompt, prompt_count, notes, 2048, &count, message,
                        sizeof message);
    pnl_generator_run(generator, &goal, notes, 2048, &count);
    pnl_generator_copy(snapshot, generator);
    pnl_generator_set_sampling(generator, 0.5f, 0.8f);
    pnl_generator_run(generator, &goal, notes, 2048, &count);
    counting = 0;
    CHECK(allocations == 0, "starting, priming and composing made %ld allocation calls",
          allocations);
    pnl_generator_free(generator);
    pnl_generator_free(snapshot);
    pnl_model_free(model);
}

static void test_unknown_composer_and_meter_are_refused(void)
{
    PnlModel *model = small_model();
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    PnlGeneratorSettings settings = settings_of(1);
    char message[256] = "";
    settings.composer = "salieri";
    int status = pnl_generator_start(generator, &settings, message, sizeof message);
    CHECK(status == PNL_EINVAL && strstr(message, "no composer \"salieri\""),
          "expected PNL_EINVAL for salieri, got %d \"%s\"", status, message);
    settings = settings_of(1);
    settings.meter_numerator = 7;
    settings.meter_denominator = 3;
    status = pnl_generator_start(generator, &settings, message, sizeof message);
    CHECK(status == PNL_EINVAL && strstr(message, "7/3"), "expected PNL_EINVAL for 7/3, got %d",
          status);
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* The bar line is one token, the next onset one of many: a network that
 * makes BAR the likeliest single token, though several times less likely
 * than another onset, must still fill its bars at temperature 0 and 0.5,
 * not leave every bar empty. Here an onset may fall on any sixteenth, each
 * as likely as 1 against e^0.5 for BAR, so a bar starts with an onset 16
 * times in 17.6, and each onset has about four more after it. */
static void test_cool_temperatures_keep_the_odds_of_a_bar_line(void)
{
    float logits[PNL_VOCAB_SIZE];
    for (int token = 0; token < PNL_VOCAB_SIZE; token++) {
        PnlFamily family = pnl_token_family(token);
        logits[token] = family == PNL_FAMILY_PITCH ? -6.0f : 0.0f;
        if (family == PNL_FAMILY_POS && pnl_token_offset(token) % 6 != 0)
            logits[token] = -INFINITY;
    }
    logits[PNL_TOKEN_BAR] = 0.5f;
    PnlModel *model = constant_model(logits);
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    CHECK(model && generator, "no model or generator");
    const float temperatures[] = {0.0f, 0.5f, 1.0f};
    for (size_t t = 0; t < sizeof temperatures / sizeof *temperatures; t++) {
        PnlGeneratorSettings settings = {"mozart", temperatures[t], 0.9f, 3, 4, 4, 0, {0},
                                         PNL_SOURCE_PERFORMED};
        char message[256];
        CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK,
              "%s", message);
        int bars = 0, onsets = 0, empty = 0, in_bar = 0, token;
        while (bars <= 64 && pnl_generator_next(generator, &token, NULL) >= 0) {
            if (token == PNL_TOKEN_BAR) {
                empty += bars > 1 && in_bar == 0;
                bars++;
                in_bar = 0;
            } else if (pnl_token_family(token) == PNL_FAMILY_POS) {
                in_bar++;
                onsets += bars > 1;
            }
        }
        CHECK(empty <= 16, "temperature %.1f: %d of 63 bars empty", temperatures[t], empty);
        CHECK(onsets >= 2 * 63, "temperature %.1f: %d onsets in 63 bars", temperatures[t],
              onsets);
    }
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* A network that ends every bar after its first short note: with the meter
 * fixed, no bar may end with its last beat silent; the network must go on
 * until something sounds there. */
static void test_a_fixed_meter_keeps_every_bar_sounding_to_its_end(void)
{
    float logits[PNL_VOCAB_SIZE];
    for (int token = 0; token < PNL_VOCAB_SIZE; token++)
        logits[token] = pnl_token_family(token) == PNL_FAMILY_PITCH ? -4.0f : 0.0f;
    logits[PNL_TOKEN_BAR] = 6.0f;
    logits[PNL_TOKEN_DUR_BASE] = 6.0f; /* DUR_1 */
    PnlModel *model = constant_model(logits);
    PnlGenerator *generator = pnl_generator_new(model, NULL, 0);
    CHECK(model && generator, "no model or generator");
    const int meters[][2] = {{4, 4}, {3, 4}, {6, 8}, {2, 2}};
    for (size_t m = 0; m < sizeof meters / sizeof *meters; m++) {
        PnlGeneratorSettings settings = {"mozart", 1.0f, 1.0f, 11, meters[m][0], meters[m][1],
                                         0, {0},
                                         PNL_SOURCE_PERFORMED};
        char message[256];
        CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK,
              "%s", message);
        const int bar_ticks = pnl_meter_bar_ticks(meters[m][0], meters[m][1]);
        const int beat_ticks = 4 * PNL_TICKS_PER_QUARTER / meters[m][1];
        int64_t sounding_until = 0;
        int silent = 0, bars = 0;
        PnlNote note;
        for (int made = 0; made < 4000 && bars < 24; made++) {
            int token;
            int completed = pnl_generator_next(generator, &token, &note);
            if (completed < 0)
                break;
            if (completed && note.onset_ticks + note.duration_ticks > sounding_until)
                sounding_until = note.onset_ticks + note.duration_ticks;
            if (token == PNL_TOKEN_BAR) {
                /* The bar that just ended: bars * bar_ticks .. + bar_ticks. */
                silent += bars > 0 && sounding_until <= (int64_t)bars * bar_ticks - beat_ticks;
                bars++;
            }
        }
        CHECK(bars == 24 && silent == 0, "%d/%d: %d of %d bars ended with a silent beat",
              meters[m][0], meters[m][1], silent, bars - 1);
    }
    pnl_generator_free(generator);
    pnl_model_free(model);
}

/* Piano models of the vocabularies before PART (430, 435 tokens) and a
 * model of the whole one all compose solo piano: no token beyond the
 * model's vocabulary, no PART (the ensemble is the player's choice); and a
 * piano model refuses a prompt that declares a part, a token it has no
 * embedding for. */
static void test_every_model_composes_solo_piano_and_a_piano_model_refuses_parts(void)
{
    const int sizes[] = {PNL_VOCAB_SIZE_BEFORE_DENSITY, PNL_VOCAB_SIZE_BEFORE_PARTS,
                         PNL_VOCAB_SIZE};
    for (size_t m = 0; m < sizeof sizes / sizeof sizes[0]; m++) {
        PnlModel *model = small_model_of(0, sizes[m]);
        char message[256] = "";
        PnlGenerator *generator = model ? pnl_generator_new(model, message, sizeof message) : NULL;
        CHECK(generator, "no generator for a model of %d tokens: %s", sizes[m], message);
        PnlGeneratorSettings settings = settings_of(7 + m);
        CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK, "%s",
              message);
        int token = -1, parts = 0, beyond = 0, notes = 0;
        PnlNote note;
        for (int step = 0; step < 600; step++) {
            int status = pnl_generator_next(generator, &token, &note);
            CHECK(status >= 0, "model of %d tokens: step %d failed (%d)", sizes[m], step, status);
            notes += status == 1;
            parts += pnl_token_family(token) == PNL_FAMILY_PART;
            beyond += token >= sizes[m];
        }
        CHECK(!parts && !beyond && notes > 0,
              "model of %d tokens: %d PART tokens, %d beyond its vocabulary, %d notes", sizes[m],
              parts, beyond, notes);
        CHECK(pnl_generator_start(generator, &settings, message, sizeof message) == PNL_OK, "%s",
              message);
        int fed = pnl_generator_feed(generator, pnl_token_part(PNL_PART_VIOLIN_1), &note);
        CHECK(sizes[m] == PNL_VOCAB_SIZE ? fed == 0 : fed == PNL_EINVAL,
              "model of %d tokens: a prompt's PART_violin_1 gave %d", sizes[m], fed);
        pnl_generator_free(generator);
        pnl_model_free(model);
    }
}

int main(void)
{
    RUN_TEST(test_generated_tokens_are_grammatical_music);
    RUN_TEST(test_same_seed_and_settings_give_the_same_tokens);
    RUN_TEST(test_jobs_stop_at_their_goal);
    RUN_TEST(test_fixed_meter_is_kept_in_every_bar);
    RUN_TEST(test_a_prompt_is_replayed_then_continued);
    RUN_TEST(test_a_key_shift_moves_music_in_and_out_of_the_frame);
    RUN_TEST(test_a_set_density_is_the_token_of_every_bar);
    RUN_TEST(test_a_model_before_density_ignores_a_set_density);
    RUN_TEST(test_notes_per_beat_rise_with_a_set_density_step);
    RUN_TEST(test_a_copy_continues_exactly_like_the_original);
    RUN_TEST(test_composing_allocates_nothing);
    RUN_TEST(test_unknown_composer_and_meter_are_refused);
    RUN_TEST(test_cool_temperatures_keep_the_odds_of_a_bar_line);
    RUN_TEST(test_a_fixed_meter_keeps_every_bar_sounding_to_its_end);
    RUN_TEST(test_every_model_composes_solo_piano_and_a_piano_model_refuses_parts);
    CHECK_EXIT();
}
