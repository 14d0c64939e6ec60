"""Tests of pianola-tokenize on the whole corpus: the token files, manifest and vocab.tsv it
writes, the split by work, the vocabulary against docs/vocabulary.md, the notes a round trip
through MIDI keeps (read independently by the small reader below, not by Pianola's), and its
errors on bad input."""
import bisect
import collections
import csv
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SRC, "build"))
CORPUS = os.environ.get("PIANOLA_CORPUS", os.path.join(SRC, "..", "shared", "corpus"))
TOOL = os.path.join(BUILD, "pianola-tokenize")
BAD_MIDI = os.path.join(SRC, "tests", "fixtures", "bad-midi")
TARGETS = ("mozart", "brahms", "schumann", "rachmaninoff")
GRID = 24  # ticks per quarter note


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=300)


def fnv1a(names) -> int:
    value = 0xCBF29CE484222325
    for name in names:
        for byte in (name + "\n").encode("ascii"):
            value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def read_midi(path: str):
    """An independent Standard MIDI File reader: returns the note-ons on piano keys as
    (onset in quarter notes, pitch, velocity), and the tempo events (microseconds per quarter)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"MThd", path
    header_length = int.from_bytes(data[4:8], "big")
    division = int.from_bytes(data[12:14], "big")
    notes, tempi = [], []
    at = 8 + header_length
    while at + 8 <= len(data):
        chunk, length = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "big")
        body, at = data[at + 8:at + 8 + length], at + 8 + length
        if chunk != b"MTrk":
            continue
        pos, ticks, status = 0, 0, 0

        def number():
            nonlocal pos
            value = 0
            while True:
                byte = body[pos]
                pos += 1
                value = (value << 7) | (byte & 0x7F)
                if byte < 0x80:
                    return value

        while pos < len(body):
            ticks += number()
            if body[pos] & 0x80:
                status = body[pos]
                pos += 1
            if status == 0xFF:
                kind = body[pos]
                pos += 1
                length = number()
                if kind == 0x51:
                    tempi.append(int.from_bytes(body[pos:pos + 3], "big"))
                pos += length
                if kind == 0x2F:
                    break
            elif status in (0xF0, 0xF7):
                pos += number()
            else:
                size = 1 if status & 0xE0 == 0xC0 else 2
                event = body[pos:pos + size]
                pos += size
                if status & 0xF0 == 0x90 and event[1] > 0 and 21 <= event[0] <= 108:
                    notes.append((ticks / division, event[0], event[1]))
    return notes, tempi


def read_notes(path: str):
    return read_midi(path)[0]


def kept_notes(original, written) -> int:
    """How many original notes the written file holds: same pitch, onset within half a grid
    step, velocity within one level of 8; each written note matches once."""
    by_pitch = collections.defaultdict(list)
    for onset, pitch, velocity in written:
        by_pitch[pitch].append([onset, velocity, False])
    for pitch in by_pitch:
        by_pitch[pitch].sort()
    onsets = {pitch: [n[0] for n in notes] for pitch, notes in by_pitch.items()}
    kept = 0
    tolerance = 0.5 / GRID + 1e-9
    for onset, pitch, velocity in original:
        candidates = by_pitch.get(pitch, [])
        i = bisect.bisect_left(onsets.get(pitch, []), onset - tolerance)
        while i < len(candidates) and candidates[i][0] <= onset + tolerance:
            candidate = candidates[i]
            if not candidate[2] and abs((candidate[1] - 1) // 8 - (velocity - 1) // 8) <= 1:
                candidate[2] = True
                kept += 1
                break
            i += 1
    return kept


class CorpusTokenization(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.out = tempfile.mkdtemp(prefix="pianola-tokens-")
        cls.result = run(CORPUS, "-o", cls.out)
        with open(os.path.join(cls.out, "manifest.tsv"), encoding="utf-8") as f:
            cls.manifest = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        with open(os.path.join(CORPUS, "catalog.tsv"), encoding="utf-8") as f:
            cls.catalog = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        cls.names = []
        cls.signature_line = ""
        with open(os.path.join(cls.out, "vocab.tsv"), encoding="ascii") as f:
            for line in f:
                if line.startswith("# pianola vocabulary signature"):
                    cls.signature_line = line.strip()
                if line.startswith("#"):
                    continue
                index, name = line.rstrip("\n").split("\t")
                assert int(index) == len(cls.names)
                cls.names.append(name)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.out, ignore_errors=True)

    def tokens(self, row):
        with open(os.path.join(self.out, row["tokens"]), "rb") as f:
            data = f.read()
        return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]

    def test_the_whole_corpus_tokenizes_and_the_summary_gives_the_figures(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        print(self.result.stdout, end="", flush=True)
        for figure in ("files: 383 tokenized, 0 skipped", "per note", "files/s"):
            self.assertIn(figure, self.result.stdout)

    def test_manifest_lists_every_catalog_file_with_its_columns(self):
        self.assertEqual(len(self.manifest), len(self.catalog))
        self.assertEqual(list(self.manifest[0].keys()),
                         ["tokens", "source", "composer", "work", "file", "split", "notes",
                          "n_tokens", "key", "frame_shift"])
        by_file = {row["file"]: row for row in self.catalog}
        for row in self.manifest:
            entry = by_file[row["file"]]
            self.assertEqual((row["source"], row["composer"], row["work"]),
                             (entry["source"], entry["composer"], entry["work"]))
            self.assertEqual(row["tokens"], "%s/%s/%s.tok" % (
                row["source"], row["composer"], os.path.splitext(os.path.basename(row["file"]))[0]))
            self.assertIn(row["split"], ("train", "validation"))

    def test_vocab_tsv_carries_the_fnv1a_signature_of_its_names(self):
        match = re.fullmatch(r"# pianola vocabulary signature ([0-9a-f]{16})", self.signature_line)
        self.assertIsNotNone(match, self.signature_line)
        self.assertEqual(int(match.group(1), 16), fnv1a(self.names))
        self.assertEqual(len(self.names), 441)

    def test_vocab_option_writes_the_vocab_tsv_of_a_corpus_run(self):
        alone = os.path.join(self.out, "alone.tsv")
        result = run("--vocab", alone)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(alone, "rb") as f, open(os.path.join(self.out, "vocab.tsv"), "rb") as g:
            self.assertEqual(f.read(), g.read())

    def test_the_vocabulary_is_the_one_docs_vocabulary_md_describes(self):
        with open(os.path.join(SRC, "docs", "vocabulary.md"), encoding="utf-8") as f:
            text = f.read()
        # The tokens table: | `FAMILY...` | count | meaning |
        documented = {}
        for first, count in re.findall(r"^\| `([A-Z]+_?)[^|]*\| *(\d+) \|", text, re.M):
            documented[first] = int(count)
        actual = collections.Counter(re.match(r"[A-Z]+_?", n).group(0) for n in self.names)
        actual["START"] += actual.pop("END")  # one row: `START`, `END`
        self.assertEqual(documented, dict(actual))
        composers = text.split("Composers: `", 1)[1].split("`", 1)[0].split() + ["romantic"]
        self.assertEqual([n[len("COMPOSER_"):] for n in self.names if n.startswith("COMPOSER_")],
                         composers)
        durations = [int(d) for d in
                     text.split("Durations (ticks):", 1)[1].split(".", 1)[0].split()]
        self.assertEqual([int(n[4:]) for n in self.names if n.startswith("DUR_")], durations)
        meters = (["METER_%d_2" % n for n in range(1, 5)] + ["METER_%d_4" % n for n in range(1, 9)]
                  + ["METER_%d_8" % n for n in range(1, 17)]
                  + ["METER_%d_16" % n for n in range(1, 33)])
        self.assertEqual([n for n in self.names if n.startswith("METER_")], meters)
        self.assertEqual(self.names[:3], ["PAD", "START", "END"])

    def test_manifest_names_the_keys_of_pieces_whose_key_is_known(self):
        # keys the scores print, for pieces of the bundled composers in major and minor,
        # common and rare keys (src/key.c estimates them from the notes alone)
        known = {
            "mutopia/mozart/KV331_KV331_1_1_tema.mid": ("A major", -3),
            "mutopia/mozart/KV331_KV331_1_4_var3.mid": ("A minor", 0),
            "mutopia/mozart/KV457_sonata1.mid": ("C minor", 3),
            "mutopia/mozart/KV457_sonata2.mid": ("E-flat major", 3),
            "mutopia/mozart/KV545_K545-2.mid": ("G major", -5),
            "mutopia/brahms/O118_intermezzo.mid": ("A major", -3),
            "mutopia/rachmaninoff/O23_rach-prelude23-01.mid": ("F-sharp minor", -3),
            "mutopia/rachmaninoff/O23_rach-prelude23-03.mid": ("D minor", 5),
            "mutopia/rachmaninoff/O23_rach-prelude23-10.mid": ("F-sharp major", -6),
        }
        by_file = {row["file"]: row for row in self.manifest}
        present = [f for f in known if f in by_file]
        self.assertGreaterEqual(len(present), 6, "the corpus lacks the pieces of this test")
        for name in present:
            row = by_file[name]
            self.assertEqual((row["key"], int(row["frame_shift"])), known[name], name)

    def test_every_frame_shift_is_its_keys_signature_up_to_octaves(self):
        tonics = ["C", "C-sharp", "D", "E-flat", "E", "F", "F-sharp", "G", "A-flat", "A",
                  "B-flat", "B"]
        for row in self.manifest:
            tonic, mode = row["key"].rsplit(" ", 1)
            signature = (tonics.index(tonic) + (3 if mode == "minor" else 0)) % 12
            shift = int(row["frame_shift"])
            self.assertTrue(-23 <= shift <= 23, row["file"])
            self.assertEqual(shift % 12, signature, row["file"])

    def test_no_work_is_on_both_sides_of_the_split(self):
        sides = collections.defaultdict(set)
        for row in self.manifest:
            sides[row["work"]].add(row["split"])
        mixed = [work for work, split in sides.items() if len(split) > 1]
        self.assertEqual(mixed, [])

    def test_every_target_composer_has_validation_works_and_about_a_tenth_is_held_out(self):
        notes = collections.Counter()
        held_out = collections.Counter()
        for row in self.manifest:
            notes[row["composer"]] += int(row["notes"])
            if row["split"] == "validation":
                held_out[row["composer"]] += int(row["notes"])
        for composer in TARGETS:
            self.assertGreater(held_out[composer], 0, composer)
            print("    %-12s validation %5.1f%% of %d notes"
                  % (composer, 100 * held_out[composer] / notes[composer], notes[composer]))
        share = sum(held_out.values()) / sum(notes.values())
        self.assertTrue(0.07 <= share <= 0.15, "validation holds %.1f%% of all notes"
                        % (100 * share))

    def test_the_split_is_the_same_every_run(self):
        again = tempfile.mkdtemp(prefix="pianola-tokens-again-")
        try:
            result = run(CORPUS, "-o", again)
            self.assertEqual(result.returncode, 0, result.stderr)
            for name in ("manifest.tsv", "vocab.tsv"):
                with open(os.path.join(self.out, name), "rb") as a, \
                        open(os.path.join(again, name), "rb") as b:
                    self.assertEqual(a.read(), b.read(), name)
        finally:
            shutil.rmtree(again, ignore_errors=True)

    def test_every_token_file_is_a_piece_from_start_to_end(self):
        start, end = self.names.index("START"), self.names.index("END")
        composer_ids = {n[len("COMPOSER_"):]: i for i, n in enumerate(self.names)
                        if n.startswith("COMPOSER_")}
        pitches = {i for i, n in enumerate(self.names) if n.startswith("PITCH_")}
        for row in self.manifest:
            tokens = self.tokens(row)
            self.assertEqual(len(tokens), int(row["n_tokens"]), row["tokens"])
            self.assertEqual(tokens[0], start, row["tokens"])
            self.assertEqual(tokens[1], composer_ids[row["composer"]], row["tokens"])
            engraved = row["source"] in ("mutopia", "openscore")
            self.assertEqual(self.names[tokens[2]],
                             "SOURCE_engraved" if engraved else "SOURCE_performed", row["tokens"])
            self.assertEqual(tokens[-1], end, row["tokens"])
            self.assertLess(max(tokens), len(self.names), row["tokens"])
            self.assertEqual(sum(t in pitches for t in tokens), int(row["notes"]), row["tokens"])

    def test_midi_to_tokens_to_midi_keeps_99_percent_of_notes_in_each_source(self):
        """Every corpus file, read here independently, against its tokens decoded to MIDI."""
        written = os.path.join(self.out, "decoded.mid")
        kept = collections.Counter()
        total = collections.Counter()
        worst = (1.0, "")
        for row in self.manifest:
            result = run("--decode", os.path.join(self.out, row["tokens"]), "-o", written)
            self.assertEqual(result.returncode, 0, result.stderr)
            original = read_notes(os.path.join(CORPUS, row["file"]))
            count = kept_notes(original, read_notes(written))
            kept[row["source"]] += count
            total[row["source"]] += len(original)
            if original and count / len(original) < worst[0]:
                worst = (count / len(original), row["file"])
        for source in sorted(total):
            print("    %-13s %7d of %7d notes kept (%.3f%%)"
                  % (source, kept[source], total[source], 100 * kept[source] / total[source]))
        print("    worst file: %s (%.2f%%)" % (worst[1], 100 * worst[0]))
        for source in total:
            self.assertGreaterEqual(kept[source] / total[source], 0.99, source)


class CommandLine(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="pianola-tokenize-")

    def tearDown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def assert_one_line_error(self, result: subprocess.CompletedProcess, *words: str) -> None:
        self.assertGreater(result.returncode, 0, "expected a failure exit, not a signal")
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        for word in words:
            self.assertIn(word, lines[0])

    def test_every_bad_fixture_fails_encode_with_one_line_naming_it(self):
        fixtures = sorted(f for f in os.listdir(BAD_MIDI) if f.endswith(".mid"))
        self.assertGreaterEqual(len(fixtures), 12)
        for name in fixtures:
            path = os.path.join(BAD_MIDI, name)
            result = run("--encode", path, "-o", os.path.join(self.folder, "out.tok"))
            with self.subTest(fixture=name):
                self.assert_one_line_error(result, path)

    def test_help_exits_zero_and_shows_every_mode(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        for mode in ("--encode", "--decode", "--catalog", "--tempo", "CORPUS_DIR"):
            self.assertIn(mode, result.stdout)

    def test_composers_lists_the_plugins_choices_in_the_order_of_its_ttl(self):
        result = run("--composers")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = list(csv.DictReader(result.stdout.splitlines(), delimiter="\t"))
        with open(os.path.join(BUILD, "pianola.lv2", "pianola.ttl"), encoding="utf-8") as f:
            # The composer port's own scale points, up to the next port's.
            port = f.read().split('lv2:symbol "composer"', 1)[1].split("lv2:index", 1)[0]
            points = re.findall(r'rdfs:label "([^"]+)" ; rdf:value (\d+)', port)
        self.assertEqual([(row["label"], str(i)) for i, row in enumerate(rows)], points,
                         "expected the TTL's composer scale points to be the listed composers")
        with open(os.path.join(SRC, "docs", "vocabulary.md"), encoding="utf-8") as f:
            text = f.read()
        classes = text.split("Composers: `", 1)[1].split("`", 1)[0].split() + ["romantic"]
        for row in rows:
            self.assertIn(row["composer"], classes, "not a composer class of the vocabulary")
            self.assertIn(row["blend"], ("-", "source", "class"))
        self.assertEqual([r["blend"] for r in rows].count("class"), 1, "expected one blend")
        self.assertEqual(tuple(r["composer"] for r in rows if r["blend"] != "class"), TARGETS,
                         "expected the composers of the corpus to be those given validation works")

    def test_bad_arguments_fail_with_one_line(self):
        self.assert_one_line_error(run(CORPUS), "-o")
        self.assert_one_line_error(run("--decode", "x.tok", "--tempo", "fast", "-o", "y.mid"),
                                   "--tempo")
        self.assert_one_line_error(run("--encode", "missing.mid", "-o", "y.tok"), "missing.mid")
        self.assert_one_line_error(run("--encode", "x.mid", "--composer", "nobody", "-o", "y"),
                                   "nobody")
        self.assert_one_line_error(run(os.path.join(self.folder, "no-corpus"), "-o", self.folder),
                                   "catalog")
        self.assertNotEqual(run("--no-such-option").returncode, 0)

    def test_decode_names_the_first_token_the_grammar_refuses(self):
        path = os.path.join(self.folder, "bad.tok")
        # START COMPOSER_albeniz BAR POS_0: the first bar lacks its meter.
        with open(path, "wb") as f:
            for token in (1, 3, 30, 91):
                f.write(token.to_bytes(2, "little"))
        self.assert_one_line_error(run("--decode", path, "-o", os.path.join(self.folder, "x.mid")),
                                   path, "token 3", "POS_0")

    def test_encode_then_decode_gives_back_the_notes_of_a_file(self):
        source = os.path.join(CORPUS, "mutopia", "mozart", "KV331_KV331_1_1_tema.mid")
        tokens = os.path.join(self.folder, "tema.tok")
        written = os.path.join(self.folder, "tema.mid")
        self.assertEqual(run("--encode", source, "--composer", "mozart", "-o", tokens).returncode, 0)
        self.assertEqual(run("--decode", tokens, "--tempo", "90", "-o", written).returncode, 0)
        original = read_notes(source)
        self.assertEqual(kept_notes(original, read_notes(written)), len(original))
        self.assertEqual(read_midi(written)[1], [round(60e6 / 90)])

    def test_notes_lists_the_notes_of_a_token_file_by_bar_and_position(self):
        source = os.path.join(CORPUS, "mutopia", "mozart", "KV331_KV331_1_1_tema.mid")
        tokens = os.path.join(self.folder, "tema.tok")
        self.assertEqual(run("--encode", source, "-o", tokens).returncode, 0)
        result = run("--notes", tokens)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "# bar\tposition\tpitch\tvelocity\tduration")
        rows = [[int(x) for x in line.split("\t")] for line in lines[1:]]
        # the theme is in 6/8 throughout: 72 ticks a bar; onset then pitch, as the tokens go
        listed = [((bar - 1) * 72 + position, pitch) for bar, position, pitch, _, _ in rows]
        original = sorted((round(onset * GRID), pitch) for onset, pitch, _ in read_notes(source))
        self.assertEqual(listed, original)
        velocities = [v for _, _, _, v, _ in rows]
        self.assertTrue(all(v % 8 == 5 for v in velocities), "velocities not 8 * level + 5")

    def test_density_writes_each_bars_step_after_its_meter_and_nothing_else_changes(self):
        source = os.path.join(CORPUS, "mutopia", "mozart", "KV331_KV331_1_1_tema.mid")
        plain, dense = (os.path.join(self.folder, name) for name in ("plain.tok", "dense.tok"))
        self.assertEqual(run("--encode", source, "-o", plain).returncode, 0)
        self.assertEqual(run("--encode", source, "--density", "-o", dense).returncode, 0)
        vocab = os.path.join(self.folder, "vocab.tsv")
        self.assertEqual(run("--vocab", vocab).returncode, 0)
        with open(vocab, encoding="ascii") as f:
            names = [line.rstrip("\n").split("\t")[1] for line in f if not line.startswith("#")]
        ids = {name: index for index, name in enumerate(names)}
        density_ids = {ids[n]: k for k, n in enumerate(
            ["DENSITY_sparse", "DENSITY_light", "DENSITY_moderate", "DENSITY_busy",
             "DENSITY_very_busy"])}
        def tokens_of(path):
            with open(path, "rb") as f:
                data = f.read()
            return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]
        plain_tokens, dense_tokens = tokens_of(plain), tokens_of(dense)
        self.assertEqual([t for t in dense_tokens if t not in density_ids], plain_tokens)
        # One after every METER, the step of the bar's notes per beat (6/8: 3 beats), by the
        # edges docs/vocabulary.md gives; counted here from the names.
        edges = [0, 3.25, 4.5, 6, 8]
        for at, token in enumerate(dense_tokens):
            if not names[token].startswith("METER_"):
                continue
            self.assertIn(dense_tokens[at + 1], density_ids, "no DENSITY after METER at %d" % at)
            following = dense_tokens[at + 2:]
            ends = [i for i, t in enumerate(following) if t in (ids["BAR"], ids["END"])]
            bar = following[:ends[0]] if ends else following
            notes = sum(names[t].startswith("PITCH_") for t in bar)
            expected = max(k for k, edge in enumerate(edges) if notes / 3 >= edge)
            self.assertEqual(density_ids[dense_tokens[at + 1]], expected)
        # The notes are the same, read either way.
        self.assertEqual(run("--notes", dense).stdout, run("--notes", plain).stdout)

    def test_notes_names_the_first_token_the_grammar_refuses(self):
        path = os.path.join(self.folder, "bad.tok")
        with open(path, "wb") as f:
            for token in (1, 3, 30, 91):  # START COMPOSER_albeniz BAR POS_0: no meter
                f.write(token.to_bytes(2, "little"))
        self.assert_one_line_error(run("--notes", path), path, "token 3", "POS_0")
        self.assert_one_line_error(run("--notes", path, "--vocab", "v.tsv"), "exclude")

    def test_a_bad_file_in_the_catalog_is_named_skipped_and_fails_the_run(self):
        corpus = os.path.join(self.folder, "corpus")
        os.makedirs(os.path.join(corpus, "mutopia", "mozart"))
        good = "mutopia/mozart/KV331_KV331_1_1_tema.mid"
        shutil.copy(os.path.join(CORPUS, good), os.path.join(corpus, good))
        shutil.copy(os.path.join(BAD_MIDI, "zero-ppq.mid"),
                    os.path.join(corpus, "mutopia", "mozart", "broken.mid"))
        with open(os.path.join(corpus, "catalog.tsv"), "w", encoding="utf-8") as f:
            f.write("source\tcomposer\tfile\twork\n")
            f.write("mutopia\tmozart\t%s\tmozart:K331\n" % good)
            f.write("mutopia\tmozart\tmutopia/mozart/broken.mid\tmozart:K1\n")
            f.write("mutopia\tnobody\t%s\tnobody:1\n" % good)
        out = os.path.join(self.folder, "tokens")
        result = run(corpus, "-o", out)
        self.assertGreater(result.returncode, 0)
        self.assertIn("broken.mid: the header says 0 ticks per quarter note", result.stderr)
        self.assertIn("composer 'nobody' is not in the vocabulary", result.stderr)
        with open(os.path.join(out, "manifest.tsv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        self.assertEqual([row["file"] for row in rows], [good])
        self.assertTrue(os.path.exists(os.path.join(out, "mutopia/mozart/KV331_KV331_1_1_tema.tok")))
