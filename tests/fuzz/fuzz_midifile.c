/* Fuzz target: the MIDI reader and the codec behind it.
 *
 * Bytes -> pnl_midi_read_memory -> pnl_encode -> pnl_decode -> pnl_midi_write,
 * the path every MIDI file a user hands Pianola takes (tokenizer, prompt
 * files, scoring). Beyond "no crash, no out-of-bounds access" it checks the
 * codec's contract on whatever the reader accepted: decoding the tokens and
 * encoding the result again gives the same tokens (docs/vocabulary.md). A
 * violation aborts, so libFuzzer keeps the input as a crash.
 *
 * Built by tools/fuzz.sh; tests/test_fuzz_reproducers.py replays the corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "midifile.h"
#include "score.h"
#include "status.h"

/* The file the writer writes, made once per process (one per input would
 * spend most of the run in the file system) and removed at exit. */
static char output_file[64];

static void remove_output(void)
{
    unlink(output_file);
}

static const char *output_path(void)
{
    if (!output_file[0]) {
        int fd;
        snprintf(output_file, sizeof output_file, "/tmp/pianola-fuzz-midi-XXXXXX");
        fd = mkstemp(output_file);
        if (fd < 0)
            abort();
        close(fd);
        atexit(remove_output);
    }
    return output_file;
}

static void check(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "fuzz_midifile: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    char message[512];
    PnlScore score, decoded;
    PnlMidiReadStats stats;
    uint16_t *tokens = NULL, *again = NULL;
    size_t count = 0, count_again = 0;
    int composer = -1;
    int status;

    pnl_score_init(&score);
    pnl_score_init(&decoded);
    status = pnl_midi_read_memory(bytes, size, "fuzz.mid", &score, &stats, message, sizeof message);
    if (status != PNL_OK) {
        check(status < 0, "the reader failed with a non-negative status");
        check(message[0] != '\0', "the reader failed without a message");
        goto done;
    }
    check(stats.notes_kept == score.note_count, "stats.notes_kept differs from the score");

    status = pnl_encode(&score, 0, NULL, 0, &count, message, sizeof message);
    if (status == PNL_ERANGE)
        goto done; /* longer than the codec represents: refused, as documented */
    check(status == PNL_ENOMEM, "asking pnl_encode for the size did not answer PNL_ENOMEM");
    tokens = malloc(count * sizeof *tokens);
    if (!tokens)
        goto done;
    status = pnl_encode(&score, 0, tokens, count, &count, message, sizeof message);
    check(status == PNL_OK, "pnl_encode failed on a score the reader accepted");

    status = pnl_decode(tokens, count, &decoded, &composer, message, sizeof message);
    check(status == PNL_OK, "pnl_decode refused what pnl_encode wrote");
    check(composer == 0, "pnl_decode returned another composer");

    status = pnl_encode(&decoded, 0, NULL, 0, &count_again, message, sizeof message);
    check(status == PNL_ENOMEM, "re-encoding the decoded score failed");
    check(count_again == count, "re-encoding the decoded score changed its length");
    again = malloc(count_again * sizeof *again);
    if (!again)
        goto done;
    status = pnl_encode(&decoded, 0, again, count_again, &count_again, message, sizeof message);
    check(status == PNL_OK, "re-encoding the decoded score failed");
    check(memcmp(tokens, again, count * sizeof *tokens) == 0,
          "decode then encode did not give the same tokens");

    status = pnl_midi_write(output_path(), &decoded, 120.0, message, sizeof message);
    check(status == PNL_OK, "pnl_midi_write failed on a decoded score");

done:
    free(tokens);
    free(again);
    pnl_score_free(&score);
    pnl_score_free(&decoded);
    return 0;
}
