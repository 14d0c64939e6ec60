"""pianola-generate and pianola-score as a user runs them: the same arguments give the same
bytes, the seed, the prompt and the length change what they should, scoring tells likely music
from unlikely, and bad arguments or files end in one line on stderr and a non-zero exit.

The model is a small random network written by train.export with the codec's vocabulary
(pianola-tokenize --vocab) and signature: these tests check the commands, not the music."""
import os
import re
import subprocess
import tempfile
import unittest
from typing import List

import torch

from train.codec import vocabulary
from train.export import write_weights
from train.model import PianolaLSTM

SOURCE = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE, "build"))


def program(name: str) -> str:
    return os.path.join(BUILD, "pianola-" + name)


def run(arguments: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(arguments, capture_output=True, text=True)


class Commands(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = tempfile.TemporaryDirectory()
        vocab = vocabulary(program("tokenize"))
        torch.manual_seed(7)
        model = PianolaLSTM(len(vocab), len(vocab.composers), 16, 48, 2)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.mul_(4.0)  # a peakier distribution than the default init
        cls.model = os.path.join(cls.scratch.name, "small.pnm")
        write_weights(model, cls.model, vocab.signature, vocab.composers)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.scratch.cleanup()

    def path(self, name: str) -> str:
        return os.path.join(self.scratch.name, name)

    def generate(self, out: str, *options: str) -> bytes:
        result = run([program("generate"), "--model", self.model, "-q", "-o", self.path(out)]
                     + list(options))
        self.assertEqual(result.returncode, 0, "pianola-generate failed: %s" % result.stderr)
        with open(self.path(out), "rb") as f:
            return f.read()

    def bars_in(self, midi: str) -> List[str]:
        out = run([program("tokenize"), "--print", self.path(midi)]).stdout
        return [line for line in out.splitlines() if line.startswith("BAR")]

    def bits_per_note(self, midi: str) -> float:
        result = run([program("score"), "--model", self.model, self.path(midi)])
        self.assertEqual(result.returncode, 0, result.stderr)
        last = result.stdout.strip().splitlines()[-1]
        self.assertTrue(last.startswith("mean bits_per_note: "), "last line was %r" % last)
        return float(last.split(": ")[1])

    def test_same_arguments_give_identical_bytes_and_seeds_differ(self) -> None:
        options = ["--seed", "11", "--bars", "6", "--temperature", "0.9", "--top-p", "0.9"]
        first = self.generate("a.mid", *options)
        second = self.generate("b.mid", *options)
        self.assertTrue(first.startswith(b"MThd"), "not a MIDI file")
        self.assertEqual(first, second, "the same arguments gave different files")
        other = self.generate("c.mid", "--seed", "12", "--bars", "6", "--temperature", "0.9",
                              "--top-p", "0.9")
        self.assertNotEqual(first, other, "seeds 11 and 12 gave the same file")

    def test_bars_and_meter_bound_the_piece(self) -> None:
        self.generate("four.mid", "--bars", "4", "--meter", "3/4", "--seed", "2")
        bars = self.bars_in("four.mid")
        self.assertGreater(len(bars), 0, "no bars in the output")
        self.assertLessEqual(len(bars), 4, "asked for 4 bars, the file has %d" % len(bars))
        self.assertIn("METER_3_4", bars[0], "the first bar is not in 3/4: %s" % bars[0][:40])
        meters = [re.findall(r"METER_\w+", bar) for bar in bars]
        self.assertTrue(all(found == ["METER_3_4"] for found in meters),
                        "every bar names 3/4 once: %s" % meters)

    def test_prompt_opens_the_piece_and_changes_what_follows(self) -> None:
        self.generate("phrase.mid", "--bars", "2", "--seed", "30", "--temperature", "0.5")
        with_prompt = self.generate("continued.mid", "--prompt", self.path("phrase.mid"),
                                    "--bars", "4", "--seed", "31")
        without = self.generate("alone.mid", "--bars", "4", "--seed", "31")
        self.assertNotEqual(with_prompt, without, "the prompt changed nothing")
        phrase = self.bars_in("phrase.mid")
        continued = self.bars_in("continued.mid")
        # The prompt's notes, though one held into the continuation ends where the
        # continuation strikes its key again (docs/vocabulary.md, "Writing MIDI").
        def without_durations(bar):
            return [t for t in bar.split() if not t.startswith("DUR_")]

        def durations(bar):
            return [int(t[4:]) for t in bar.split() if t.startswith("DUR_")]
        self.assertEqual(without_durations(continued[0]), without_durations(phrase[0]),
                         "the output does not open with the prompt")
        self.assertTrue(all(c <= p for c, p in zip(durations(continued[0]), durations(phrase[0]))),
                        "the prompt's notes were lengthened")
        self.assertGreater(len(continued), len(phrase), "nothing was added to the prompt")

    def test_score_finds_cool_music_likelier_than_wild_music(self) -> None:
        self.generate("cool.mid", "--bars", "8", "--temperature", "0.3", "--seed", "5")
        self.generate("wild.mid", "--bars", "8", "--temperature", "2.0", "--top-p", "1",
                      "--seed", "5")
        cool, wild = self.bits_per_note("cool.mid"), self.bits_per_note("wild.mid")
        self.assertLess(cool, wild, "temperature 0.3 scored %.3f bits/note, 2.0 scored %.3f"
                        % (cool, wild))

    def test_score_prints_a_line_per_file_then_the_mean(self) -> None:
        self.generate("one.mid", "--bars", "3", "--seed", "1")
        self.generate("two.mid", "--bars", "3", "--seed", "2")
        result = run([program("score"), "--model", self.model, "--composer", "brahms",
                      self.path("one.mid"), self.path("two.mid")])
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.strip().splitlines()
        self.assertEqual(len(lines), 3, "expected two file lines and the mean: %r" % lines)
        per_note = [float(line.split(", ")[-1].split()[0]) for line in lines[:2]]
        self.assertTrue(lines[0].startswith(self.path("one.mid") + ": "), lines[0])
        self.assertIn("nats/token", lines[0])
        mean = float(lines[2].split(": ")[1])
        self.assertAlmostEqual(mean, sum(per_note) / 2, places=3)

    def test_max_events_still_names_max_tokens(self) -> None:
        self.generate("steps.mid", "--bars", "2", "--seed", "3")
        dumps = [run([program("score"), "--model", self.model, "--dump-logits", option, "5",
                      self.path("steps.mid")]) for option in ("--max-tokens", "--max-events")]
        for result in dumps:
            self.assertEqual(result.returncode, 0, result.stderr)
        steps = [line for line in dumps[0].stdout.splitlines() if not line.startswith("#")]
        self.assertEqual(len(steps), 5, "--max-tokens 5 dumped %d steps" % len(steps))
        self.assertEqual(dumps[1].stdout, dumps[0].stdout,
                         "--max-events 5 (the older name) dumped something else")

    def test_bad_arguments_and_files_fail_with_one_line(self) -> None:
        truncated = self.path("truncated.pnm")
        with open(self.model, "rb") as f, open(truncated, "wb") as out:
            out.write(f.read()[:5000])
        not_midi = self.path("not-midi.mid")
        with open(not_midi, "w") as f:
            f.write("hello")
        cases = [
            ([program("generate"), "--model", self.model], "no output file"),
            ([program("generate"), "--model", self.model, "-o", self.path("x.mid"),
              "--temperature", "hot"], "--temperature wants a number"),
            ([program("generate"), "--model", self.model, "-o", self.path("x.mid"),
              "--meter", "5/3"], "--meter wants"),
            ([program("generate"), "--model", self.model, "-o", self.path("x.mid"),
              "--composer", "salieri"], "no composer \"salieri\""),
            ([program("generate"), "--bogus"], "unknown option --bogus"),
            ([program("generate"), "--model", self.model, "-o", "/dev/null"],
             "/dev/null: not a regular file"),
            ([program("generate"), "--model", self.model, "-o", self.scratch.name],
             "not a regular file"),
            ([program("generate"), "--model", self.path("none.pnm"), "-o", self.path("x.mid")],
             "none.pnm: cannot open"),
            ([program("generate"), "--model", truncated, "-o", self.path("x.mid")],
             "truncated.pnm: truncated at byte 5000 of"),
            ([program("generate"), "--model", self.model, "-o", self.path("x.mid"),
              "--prompt", not_midi], "not-midi.mid"),
            ([program("score"), "--model", self.model], "no MIDI files"),
            ([program("score"), "--model", self.model, not_midi], "not-midi.mid"),
            ([program("score"), "--model", truncated, not_midi], "truncated at byte 5000"),
        ]
        for arguments, says in cases:
            result = run(arguments)
            name = os.path.basename(arguments[0])
            self.assertNotEqual(result.returncode, 0, "%s succeeded" % arguments)
            lines = result.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, "%s: expected one line, got %r" % (arguments, lines))
            self.assertTrue(lines[0].startswith(name + ": ") and says in lines[0],
                            "%s: expected %r in %r" % (arguments[1:], says, lines[0]))


if __name__ == "__main__":
    unittest.main()
