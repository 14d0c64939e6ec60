"""Tests of pianola-stats --ensemble: a piano-and-violin file written here by hand, its tracks
named as pianola-generate names them, gives each part the figures counted on paper; a part a
file lacks is reported missing; the chamber corpus's violin-and-piano works give plausible
figures for both parts, a corpus piece lands inside its corpus's range, and a file the MIDI
writer wrote from that piece's tokens is read part by part; solo piano is the piano figures."""
import math
import os
import struct
import subprocess
import tempfile
import unittest

SRC = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SRC, "build"))
CORPUS = os.environ.get("PIANOLA_CORPUS", os.path.join(SRC, "..", "shared", "corpus"))
CHAMBER = CORPUS.rstrip("/") + "-chamber"
TOOL = os.path.join(BUILD, "pianola-stats")
TOKENIZE = os.path.join(BUILD, "pianola-tokenize")

# A violin-and-piano work of the chamber corpus: its sounding tracks as the catalog names them.
VIOLIN_PIANO_PIECE = "violin-piano/mozart/KV379_k379-score.mid"
VIOLIN_PIANO_TRACKS = "violin;piano;piano"
VIOLIN_PIANO_WORKS = 22      # catalog rows with instruments violin;piano;piano
MOZART_VIOLIN_PIANO_WORKS = 3


def run(*args: str, corpus: str = CHAMBER) -> subprocess.CompletedProcess:
    return subprocess.run([TOOL, "--corpus", corpus, *args], capture_output=True, text=True,
                          timeout=600)


def part_figures(*args: str) -> dict:
    """Runs with --tsv; returns {(part, figure): row} where row maps the header's columns."""
    result = run("--tsv", *args)
    if result.returncode != 0:
        raise AssertionError("pianola-stats %s failed: %s" % (" ".join(args), result.stderr))
    lines = result.stdout.splitlines()
    header = lines[0].split("\t")
    if header[:2] != ["part", "figure"] or header[-1] != "files_without_part":
        raise AssertionError("unexpected header %r" % lines[0])
    rows = {}
    for line in lines[1:]:
        fields = line.split("\t")
        rows[(fields[0], fields[1])] = {name: (fields[i] if i < 2 else float(fields[i]))
                                        for i, name in enumerate(header)}
    return rows


def variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def track_chunk(events) -> bytes:
    """events: (tick, order, bytes); note-offs (order 1) before note-ons (2) at one tick."""
    data, now = b"", 0
    for at, _, message in sorted(events, key=lambda event: (event[0], event[1])):
        data += variable_length(at - now) + message
        now = at
    data += b"\x00\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(data)) + data


def write_parts(path: str, parts, ppq: int = 480) -> None:
    """A format-1 file as pnl_midi_write lays one out: a track of tempo and 4/4, then one per
    part, (name or None, program, channel, notes), notes as (onset in quarters, length in
    quarters, key)."""
    conductor = [(0, 0, bytes([0xFF, 0x51, 3, 0x07, 0xA1, 0x20])),
                 (0, 0, bytes([0xFF, 0x58, 4, 4, 2, 24, 8]))]
    chunks = [track_chunk(conductor)]
    for name, program, channel, notes in parts:
        events = [(0, 0, bytes([0xC0 | channel, program]))]
        if name:
            encoded = name.encode("ascii")
            events.insert(0, (0, 0, bytes([0xFF, 0x03, len(encoded)]) + encoded))
        for onset, length, key in notes:
            start, end = round(onset * ppq), round((onset + length) * ppq)
            events.append((start, 2, bytes([0x90 | channel, key, 80])))
            events.append((end, 1, bytes([0x80 | channel, key, 0])))
        chunks.append(track_chunk(events))
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), ppq))
        for chunk in chunks:
            f.write(chunk)


# Two bars of 4/4. Piano: a chord C3-E3 on each beat of bar 1, a whole-note C3 in bar 2 (9 notes,
# every beat sounding). Violin: four eighths on beats 1-2 of bar 1, then a half note G5 on beats
# 3-4 of bar 2 (5 notes; beats 1-2 of bar 1 and 3-4 of bar 2 sounding, the half note holding
# beat 4).
PIANO_NOTES = [(beat, 1, key) for beat in range(4) for key in (48, 52)] + [(4, 4, 48)]
VIOLIN_NOTES = [(0, 0.5, 67), (0.5, 0.5, 69), (1, 0.5, 71), (1.5, 0.5, 72), (6, 2, 79)]


class HandWrittenFiles(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.folder.cleanup()

    def path(self, name: str) -> str:
        return os.path.join(self.folder.name, name)

    def test_each_part_of_a_duo_has_the_figures_counted_by_hand(self):
        duo = self.path("duo.mid")
        write_parts(duo, [("Piano", 0, 0, PIANO_NOTES), ("Violin I", 40, 1, VIOLIN_NOTES)])
        rows = part_figures("--ensemble", "violin_piano", duo)
        expected = {
            ("piano", "notes_per_beat"): 9 / 8, ("piano", "sounding_beats_pct"): 100.0,
            ("piano", "lowest_pitch"): 48, ("piano", "pitch_5th_percentile"): 48,
            ("piano", "pitch_95th_percentile"): 52, ("piano", "highest_pitch"): 52,
            ("violin_1", "notes_per_beat"): 5 / 8, ("violin_1", "sounding_beats_pct"): 50.0,
            ("violin_1", "lowest_pitch"): 67, ("violin_1", "pitch_5th_percentile"): 67,
            ("violin_1", "pitch_95th_percentile"): 79, ("violin_1", "highest_pitch"): 79,
        }
        for key, value in expected.items():
            self.assertAlmostEqual(rows[key]["generated"], value, places=4,
                                   msg="%s %s: %g, expected %g"
                                   % (key[0], key[1], rows[key]["generated"], value))
            self.assertEqual(rows[key]["files_without_part"], 0, key)
            self.assertEqual(rows[key]["generated_files"], 1, key)
        self.assertEqual({part for part, _ in rows}, {"piano", "violin_1"})
        for part in ("piano", "violin_1"):
            for figure in ("pitch_overlap", "beat_notes_overlap"):
                value = rows[(part, figure)]["generated"]
                self.assertTrue(0.0 <= value <= 1.0, "%s %s: %g" % (part, figure, value))

    def test_tracks_are_parts_by_their_names_not_their_order(self):
        # The violin's track first: the names, not the order, say which part is which.
        swapped = self.path("swapped.mid")
        write_parts(swapped, [("Violin I", 40, 1, VIOLIN_NOTES), ("Piano", 0, 0, PIANO_NOTES)])
        rows = part_figures("--ensemble", "violin_piano", swapped)
        self.assertAlmostEqual(rows[("violin_1", "notes_per_beat")]["generated"], 5 / 8, places=4)
        self.assertAlmostEqual(rows[("piano", "notes_per_beat")]["generated"], 9 / 8, places=4)

    def test_a_part_missing_from_a_file_is_reported(self):
        duo, piano_only = self.path("duo.mid"), self.path("piano-only.mid")
        write_parts(duo, [("Piano", 0, 0, PIANO_NOTES), ("Violin I", 40, 1, VIOLIN_NOTES)])
        # The violin's track is there, named, but plays nothing.
        write_parts(piano_only, [("Piano", 0, 0, PIANO_NOTES), ("Violin I", 40, 1, [])])
        rows = part_figures("--ensemble", "violin_piano", duo, piano_only)
        violin = rows[("violin_1", "notes_per_beat")]
        self.assertEqual(violin["files_without_part"], 1)
        self.assertEqual(violin["generated_files"], 1)
        self.assertAlmostEqual(violin["generated"], 5 / 8, places=4,
                               msg="the file without a violin must not count as 0")
        self.assertEqual(rows[("piano", "notes_per_beat")]["files_without_part"], 0)
        self.assertEqual(rows[("piano", "notes_per_beat")]["generated_files"], 2)

        rows = part_figures("--ensemble", "violin_piano", piano_only)
        self.assertTrue(math.isnan(rows[("violin_1", "notes_per_beat")]["generated"]))
        self.assertEqual(rows[("violin_1", "notes_per_beat")]["files_without_part"], 1)
        result = run("--ensemble", "violin_piano", piano_only)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Violin I: missing from 1 of 1 files: %s" % piano_only, result.stdout)
        violin_row = [line for line in result.stdout.splitlines()
                      if line.startswith("| Violin I ")][0]
        cells = [cell.strip() for cell in violin_row.split("|")]
        self.assertEqual(cells[3], "missing", violin_row)

    def test_a_solo_piano_file_is_the_piano_and_no_other_part(self):
        # One unnamed track (a solo piano file, as a model without ensembles writes it).
        solo = self.path("solo.mid")
        write_parts(solo, [(None, 0, 0, PIANO_NOTES + VIOLIN_NOTES)])
        rows = part_figures("--ensemble", "violin_piano", solo)
        self.assertAlmostEqual(rows[("piano", "notes_per_beat")]["generated"], 14 / 8, places=4)
        self.assertEqual(rows[("violin_1", "notes_per_beat")]["files_without_part"], 1)
        # A quartet has no piano: every part missing, the piano's notes left out with a word.
        result = run("--tsv", "--ensemble", "string_quartet", solo)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("14 notes of the Piano, not a part of the ensemble; left out",
                      result.stderr)
        for line in result.stdout.splitlines()[1:]:
            self.assertEqual(line.split("\t")[-1], "1", line)


class ChamberCorpus(unittest.TestCase):
    def test_violin_and_piano_works_give_both_parts_plausible_figures(self):
        rows = part_figures("--ensemble", "violin_piano")
        for part in ("piano", "violin_1"):
            self.assertEqual(rows[(part, "lowest_pitch")]["corpus_pieces"], VIOLIN_PIANO_WORKS)
            notes = rows[(part, "notes_per_beat")]
            self.assertTrue(0.3 < notes["corpus_min"] <= notes["corpus_mean"] < 12.0,
                            "%s: %s notes per beat" % (part, notes))
            sounding = rows[(part, "sounding_beats_pct")]
            self.assertTrue(50.0 < sounding["corpus_mean"] <= 100.0, "%s: %s" % (part, sounding))
            overlap = rows[(part, "pitch_overlap")]
            self.assertTrue(0.2 < overlap["corpus_mean"] < 1.0, "%s: %s" % (part, overlap))
        # The violin never below its G string, the piano reaching lower and busier.
        self.assertGreaterEqual(rows[("violin_1", "lowest_pitch")]["corpus_min"], 55)
        self.assertLess(rows[("piano", "lowest_pitch")]["corpus_mean"],
                        rows[("violin_1", "lowest_pitch")]["corpus_mean"] - 12)
        self.assertGreater(rows[("piano", "notes_per_beat")]["corpus_mean"],
                           rows[("violin_1", "notes_per_beat")]["corpus_mean"])

    def test_a_composer_without_works_for_the_ensemble_means_every_composer(self):
        result = run("--ensemble", "violin_piano", "--composer", "mozart")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("%d corpus pieces for it, mozart's" % MOZART_VIOLIN_PIANO_WORKS,
                      result.stdout.splitlines()[0])
        result = run("--ensemble", "violin_piano", "--composer", "haydn")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("%d corpus pieces for it, every composer's (haydn has none)"
                      % VIOLIN_PIANO_WORKS, result.stdout.splitlines()[0])

    def test_a_corpus_piece_lies_within_its_corpus_range(self):
        piece = os.path.join(CHAMBER, VIOLIN_PIANO_PIECE)
        rows = part_figures("--ensemble", "violin_piano", "--composer", "mozart",
                            "--tracks", VIOLIN_PIANO_TRACKS, piece)
        for (part, figure), row in rows.items():
            value, low, high = row["generated"], row["corpus_min"], row["corpus_max"]
            self.assertFalse(math.isnan(value), "%s %s" % (part, figure))
            slack = 1e-5 * max(1.0, abs(low), abs(high))
            self.assertTrue(low - slack <= value <= high + slack,
                            "%s %s: %g outside the corpus range %g..%g"
                            % (part, figure, value, low, high))

    def test_a_file_the_midi_writer_wrote_is_read_part_by_part(self):
        # The piece's tokens, decoded: pnl_midi_write names each part's track.
        with tempfile.TemporaryDirectory() as folder:
            tokens, written = os.path.join(folder, "piece.tok"), os.path.join(folder, "piece.mid")
            for command in (["--encode", os.path.join(CHAMBER, VIOLIN_PIANO_PIECE), "--tracks",
                             VIOLIN_PIANO_TRACKS, "-o", tokens],
                            ["--decode", tokens, "-o", written]):
                result = subprocess.run([TOKENIZE, *command], capture_output=True, text=True,
                                        timeout=120)
                self.assertEqual(result.returncode, 0, result.stderr)
            from_file = part_figures("--ensemble", "violin_piano", written)
            as_catalogued = part_figures("--ensemble", "violin_piano", "--tracks",
                                         VIOLIN_PIANO_TRACKS,
                                         os.path.join(CHAMBER, VIOLIN_PIANO_PIECE))
        for part in ("piano", "violin_1"):
            self.assertEqual(from_file[(part, "notes_per_beat")]["files_without_part"], 0)
            for figure in ("lowest_pitch", "highest_pitch"):
                self.assertEqual(from_file[(part, figure)]["generated"],
                                 as_catalogued[(part, figure)]["generated"], (part, figure))
            # The codec snaps durations and makes the parts playable (a violin's chord of
            # three is a double stop): nearly the same notes.
            for figure in ("pitch_5th_percentile", "pitch_95th_percentile"):
                self.assertAlmostEqual(from_file[(part, figure)]["generated"],
                                       as_catalogued[(part, figure)]["generated"], delta=2,
                                       msg=(part, figure))
            written_density = from_file[(part, "notes_per_beat")]["generated"]
            own_density = as_catalogued[(part, "notes_per_beat")]["generated"]
            self.assertAlmostEqual(written_density, own_density, delta=0.05 * own_density,
                                   msg=part)


class SoloPianoAndBadArguments(unittest.TestCase):
    def test_solo_piano_is_the_piano_figures(self):
        piece = os.path.join(CORPUS, "mutopia/mozart/KV545_K545-1.mid")
        plain = run("--composer", "mozart", piece, corpus=CORPUS)
        solo = run("--ensemble", "solo_piano", "--composer", "mozart", piece, corpus=CORPUS)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual(plain.stdout, solo.stdout)

    def test_bad_arguments_fail_with_one_line(self):
        piece = os.path.join(CHAMBER, VIOLIN_PIANO_PIECE)
        for args, corpus, why in (
                (("--ensemble", "piano_trio", piece), CHAMBER, "piano_trio"),
                (("--ensemble", "violin_piano", "--histograms", piece), CHAMBER, "--histograms"),
                (("--ensemble", "violin_piano", "--tracks", "violin;flute", piece), CHAMBER,
                 "flute"),
                (("--composer", "mozart", "--tracks", VIOLIN_PIANO_TRACKS, piece), CHAMBER,
                 "--ensemble"),
                (("--ensemble", "violin_piano", piece), CORPUS, "violin_piano")):
            result = run(*args, corpus=corpus)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn(why, result.stderr)
            self.assertTrue(result.stderr.startswith("pianola-stats: "), result.stderr)


if __name__ == "__main__":
    unittest.main()
