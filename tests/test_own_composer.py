"""A composer of one's own, the whole way: `python3 -m train own` on a few corpus files (a run
of a few steps) under a new name, then the plugin with that model, through lilv by its
pianola:model property as a host sets it (pianola-render), composing in that style; its state
saved, restored into a new instance and played on, giving the notes of a render that never
stopped; the model file declaring the composer with its display name, so the menu, the state
and both programs find it by name.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD_DIR = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE_DIR, "build"))
CORPUS = os.environ.get("PIANOLA_CORPUS", os.path.join(SOURCE_DIR, "..", "shared", "corpus"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_render import read_midi_notes  # noqa: E402

# Three short pieces (a few kB each) by two composers: the own style is taught from them.
PIECES = ["piano-midi.de/schumann/scn15_4.mid", "piano-midi.de/chopin/chpn-p7.mid",
          "piano-midi.de/chopin/chpn-p20.mid"]
NAME = "Gymnop\u00e9diste"    # a display name beyond ASCII
CLASS = "gymnopediste"        # the class name it is saved under
BAR_TICKS = 4 * 480           # 4/4 in the MIDI files pianola-render writes


def run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=300, **kwargs)


@unittest.skipUnless(all(os.path.exists(os.path.join(CORPUS, p)) for p in PIECES),
                     "the corpus is not beside the repository")
class OwnComposer(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.work = tempfile.mkdtemp(prefix="pianola-own-test-")
        midi = os.path.join(cls.work, "midi")
        os.makedirs(midi)
        for piece in PIECES:
            shutil.copy(os.path.join(CORPUS, piece), midi)
        cls.model = os.path.join(cls.work, "own.pnm")
        # Grown from Brahms (--like skips the search for the nearest style, which scores every
        # class), trained for two steps of two short windows: seconds, not minutes.
        cls.trained = run([sys.executable, "-m", "train", "own", "--midi", midi, "--name", NAME,
                           "--like", "brahms", "-o", cls.model,
                           "--work", os.path.join(cls.work, "train"), "--steps", "2",
                           "--eval-every", "2", "--batch", "2", "--length", "32", "--warmup",
                           "1", "--val-tokens", "200", "--quiet"], cwd=SOURCE_DIR)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self) -> None:
        self.assertEqual(self.trained.returncode, 0, "train own failed:\n%s%s"
                         % (self.trained.stdout, self.trained.stderr))

    def render(self, name: str, *arguments: str) -> list:
        midi = os.path.join(self.work, name + ".mid")
        done = run([os.path.join(BUILD_DIR, "pianola-render"), "-o",
                    os.path.join(self.work, name + ".wav"), "--midi", midi, "--seed", "3",
                    "--tail", "0", *arguments])
        self.assertEqual(done.returncode, 0, "pianola-render %s failed:\n%s"
                         % (" ".join(arguments), done.stderr))
        return read_midi_notes(midi)

    def test_the_model_declares_a_new_composer_beside_the_built_in_ones(self) -> None:
        from train.data import offered_composers
        from train.export import read_weights
        model, meta = read_weights(self.model)
        offered = offered_composers()
        names = meta["composer_names"]
        self.assertEqual(names[-1], CLASS)
        self.assertEqual(model.n_composers, len(names))
        self.assertEqual(names[meta["openers"][-1]], "brahms",
                         "its pieces open as those of the class it grew from")
        self.assertEqual([label for _, label in meta["choices"]],
                         list(offered.labels) + [NAME],
                         "the menu keeps the built-in choices, in their order, and adds it")
        self.assertIn("built-in", run([sys.executable, "-m", "train", "own", "--midi",
                                       self.work, "--name", "Mozart", "-o",
                                       os.path.join(self.work, "x.pnm")],
                                      cwd=SOURCE_DIR).stderr,
                      "a built-in composer's name is refused, not overwritten")

    def test_state_restored_into_a_new_instance_plays_on_as_if_never_stopped(self) -> None:
        state = os.path.join(self.work, "four-bars.ttl")
        first = self.render("first", "--model", self.model, "--composer", NAME, "--bars", "4",
                            "--save-state", state)
        with open(state, encoding="utf-8") as saved:
            turtle = saved.read()
        self.assertIn(os.path.abspath(self.model), turtle, "the state names the model file")
        self.assertIn('"%s"' % CLASS, turtle, "the state names the composer")
        # A new instance (a new process), the model chosen by the state alone.
        resumed = self.render("resumed", "--restore-state", state, "--bars", "8")
        uninterrupted = self.render("uninterrupted", "--model", self.model, "--composer",
                                    CLASS, "--bars", "8")
        self.assertGreater(len(first), 8, "the own composer composed")
        self.assertEqual(resumed, uninterrupted,
                         "the restored session plays on with the same model and composer")
        end = 4 * BAR_TICKS - 120
        self.assertEqual([n for n in first if n[0] < end],
                         [n for n in uninterrupted if n[0] < end])

    def test_the_composer_choice_selects_the_new_style(self) -> None:
        own = self.render("own", "--model", self.model, "--composer", CLASS, "--bars", "4")
        mozart = self.render("mozart", "--model", self.model, "--composer", "Mozart",
                             "--bars", "4")
        self.assertNotEqual(own, mozart)
        generated = os.path.join(self.work, "generated.mid")
        done = run([os.path.join(BUILD_DIR, "pianola-generate"), "--model", self.model,
                    "--composer", NAME, "--bars", "4", "-o", generated])
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(NAME, done.stdout)

    def test_a_composer_the_model_lacks_is_refused_with_its_choices(self) -> None:
        done = run([os.path.join(BUILD_DIR, "pianola-render"), "--model", self.model,
                    "--composer", "Satie", "-o", os.path.join(self.work, "no.wav")])
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("'Satie' is not one of", done.stderr)
        self.assertIn("%s (%s)" % (CLASS, NAME), done.stderr)


class OwnNames(unittest.TestCase):
    def test_a_display_name_gives_an_ascii_class_name(self) -> None:
        from train.own import class_id
        self.assertEqual(class_id("\u00c9rik Satie"), "erik_satie")
        self.assertEqual(class_id("  Clara   Schumann (early) "), "clara_schumann_early")
        self.assertEqual(class_id("\u6a5f\u68b0"), "own")
        self.assertLessEqual(len(class_id("x" * 80)), 31)

    def test_display_names_are_checked_as_the_reader_checks_them(self) -> None:
        from train.export import check_label
        self.assertEqual(check_label("\u00c9rik Satie"), "\u00c9rik Satie".encode("utf-8"))
        for bad in ["", "a\tb", "line\nbreak", "\u0085", "x" * 65, "\u00e9" * 33]:
            with self.assertRaises(ValueError, msg=repr(bad)):
                check_label(bad)


if __name__ == "__main__":
    unittest.main()
