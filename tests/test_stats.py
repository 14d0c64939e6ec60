"""Tests of pianola-stats: a corpus piece set beside its own composer's corpus lands inside the
corpus range on every figure (in 4/4 and 6/8, engraved and hand-played); a MIDI file written
here by hand, with a silent last beat in every bar, reports 100%, in the meter its time
signature gives; the output is the same from run to run; bad arguments fail with one line."""
import math
import os
import struct
import subprocess
import tempfile
import unittest

SRC = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SRC, "build"))
CORPUS = os.environ.get("PIANOLA_CORPUS", os.path.join(SRC, "..", "shared", "corpus"))
TOOL = os.path.join(BUILD, "pianola-stats")

# Corpus pieces and their meters (their time signatures, read by pianola-tokenize --print).
CORPUS_PIECES = (
    ("mozart", "mutopia/mozart/KV545_K545-1.mid", "4/4"),    # engraved
    ("mozart", "piano-midi.de/mozart/mz_545_1.mid", "4/4"),  # hand-played
    ("mozart", "piano-midi.de/mozart/mz_331_1.mid", "6/8"),
    ("schumann", "piano-midi.de/schumann/scn15_7.mid", None),
)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TOOL, "--corpus", CORPUS, *args], capture_output=True, text=True,
                          timeout=300)


def figures(*args: str) -> dict:
    """Runs with --tsv; returns {figure: row} where row maps the header's columns."""
    result = run("--tsv", *args)
    if result.returncode != 0:
        raise AssertionError("pianola-stats %s failed: %s" % (" ".join(args), result.stderr))
    lines = result.stdout.splitlines()
    header = lines[0].split("\t")
    rows = {}
    for line in lines[1:]:
        fields = line.split("\t")
        rows[fields[0]] = {name: (fields[i] if i == 0 else float(fields[i]))
                           for i, name in enumerate(header)}
    return rows


def variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def write_midi(path: str, notes, meter=None, ppq: int = 480) -> None:
    """A format-0 file: notes as (onset in quarters, length in quarters, key), an optional
    time signature (numerator, denominator) at the start."""
    events = []
    if meter:
        exponent = meter[1].bit_length() - 1
        events.append((0, 0, bytes([0xFF, 0x58, 4, meter[0], exponent, 24, 8])))
    for onset, length, key in notes:
        start, end = round(onset * ppq), round((onset + length) * ppq)
        events.append((start, 2, bytes([0x90, key, 80])))
        events.append((end, 1, bytes([0x80, key, 0])))
    events.sort(key=lambda event: (event[0], event[1]))
    track, now = b"", 0
    for at, _, data in events:
        track += variable_length(at - now) + data
        now = at
    track += b"\x00\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq))
        f.write(b"MTrk" + struct.pack(">I", len(track)) + track)


class CorpusPiecesLandInsideTheirComposersRange(unittest.TestCase):
    def test_a_corpus_piece_lies_within_its_composers_corpus_range(self):
        for composer, piece, meter in CORPUS_PIECES:
            path = os.path.join(CORPUS, piece)
            rows = figures("--composer", composer, path)
            self.assertGreaterEqual(len(rows), 21, "too few figures for %s" % piece)
            for name, row in rows.items():
                value, low, high = row["generated"], row["corpus_min"], row["corpus_max"]
                if math.isnan(value):
                    continue
                # --tsv prints 6 significant digits.
                slack = 1e-5 * max(1.0, abs(low), abs(high))
                self.assertTrue(low - slack <= value <= high + slack,
                                "%s, %s: %g outside the corpus range %g..%g"
                                % (piece, name, value, low, high))
            self.assertGreater(rows["notes_per_beat"]["generated"], 1.0,
                               "%s plays %g notes per beat"
                               % (piece, rows["notes_per_beat"]["generated"]))
            self.assertLess(rows["silent_last_beat_bars_pct"]["generated"], 20.0,
                            "%s: %g%% of bars end in a silent beat"
                            % (piece, rows["silent_last_beat_bars_pct"]["generated"]))
            self.assertTrue(0.5 < rows["key_clarity"]["generated"] <= 1.0, piece)

    def test_the_table_names_the_meter_and_the_pieces_compared(self):
        composer, piece, meter = CORPUS_PIECES[2]
        result = run("--composer", composer, os.path.join(CORPUS, piece))
        self.assertEqual(result.returncode, 0, result.stderr)
        first_line = result.stdout.splitlines()[0]
        self.assertIn("1 composed file in %s" % meter, first_line)
        self.assertIn("of them in %s" % meter, first_line)
        self.assertIn("| bars whose last beat is silent, % * ", result.stdout)

    def test_the_output_is_the_same_every_time(self):
        args = ("--composer", "mozart", "--histograms",
                os.path.join(CORPUS, CORPUS_PIECES[0][1]), os.path.join(CORPUS, CORPUS_PIECES[1][1]))
        first, second = run(*args), run(*args)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(first.stdout, second.stdout)


class HandMadeFiles(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.folder.cleanup()

    def test_a_silent_last_beat_in_every_bar_reports_100_percent(self):
        path = os.path.join(self.folder.name, "silent-last-beat.mid")
        # 8 bars of 4/4, a quarter note on beats 1, 2 and 3.
        write_midi(path, [(4 * bar + beat, 1, 60 + beat) for bar in range(8) for beat in range(3)],
                   meter=(4, 4))
        rows = figures("--composer", "mozart", path)
        self.assertEqual(rows["silent_last_beat_bars_pct"]["generated"], 100.0)
        self.assertEqual(rows["silent_beats_pct"]["generated"], 25.0)
        self.assertEqual(rows["notes_per_beat"]["generated"], 0.75)
        self.assertEqual(rows["rhythm_repeat_within_8_pct"]["generated"], 100.0)
        self.assertEqual(rows["longest_verbatim_run_bars"]["generated"], 8.0)

    def test_the_files_time_signature_sets_the_bars(self):
        path = os.path.join(self.folder.name, "three-four.mid")
        # 8 bars of 3/4 with beats 1 and 2 sounding: in 4/4 the bars would not end silent.
        notes = [(3 * bar + beat, 1, 64) for bar in range(8) for beat in range(2)]
        write_midi(path, notes, meter=(3, 4))
        result = run("--composer", "mozart", "--meter", "4/4", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("in 3/4", result.stdout.splitlines()[0])
        rows = figures("--composer", "mozart", "--meter", "4/4", path)
        self.assertEqual(rows["silent_last_beat_bars_pct"]["generated"], 100.0)
        # Without a time signature, --meter gives it.
        bare = os.path.join(self.folder.name, "bare.mid")
        write_midi(bare, notes)
        rows = figures("--composer", "mozart", "--meter", "3/4", bare)
        self.assertEqual(rows["silent_last_beat_bars_pct"]["generated"], 100.0)
        rows = figures("--composer", "mozart", bare)
        self.assertLess(rows["silent_last_beat_bars_pct"]["generated"], 100.0,
                        "read as 4/4, the bars do not all end silent")

    def test_bars_measures_a_renders_bars_only(self):
        path = os.path.join(self.folder.name, "cut-note.mid")
        # 4 bars of whole notes, then the note a render cuts at its stop.
        write_midi(path, [(4 * bar, 4, 60) for bar in range(4)] + [(16, 0.05, 62)], meter=(4, 4))
        rows = figures("--composer", "mozart", "--bars", "4", path)
        self.assertEqual(rows["silent_last_beat_bars_pct"]["generated"], 0.0)
        rows = figures("--composer", "mozart", path)
        self.assertEqual(rows["silent_last_beat_bars_pct"]["generated"], 20.0)


class BadArguments(unittest.TestCase):
    def test_bad_arguments_fail_with_one_line(self):
        piece = os.path.join(CORPUS, CORPUS_PIECES[0][1])
        for args, why in ((("--composer", "nobody", piece), "nobody"),
                          ((piece,), "--composer"),
                          (("--composer", "mozart", "--meter", "5/3", piece), "5/3"),
                          (("--composer", "mozart", "/nonexistent.mid"), "/nonexistent.mid"),
                          (("--composer", "mozart", "--bars", "0", piece), "--bars"),
                          (("--composer", "mozart", piece,
                            os.path.join(CORPUS, CORPUS_PIECES[2][1])), "in 6/8")):
            result = run(*args)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn(why, result.stderr)
            self.assertTrue(result.stderr.startswith("pianola-stats: "), result.stderr)


if __name__ == "__main__":
    unittest.main()
