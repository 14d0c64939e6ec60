"""pianola-render: the real plugin through lilv, offline, to WAV and MIDI files.

The same arguments must give byte-identical files; another seed other music;
a --prompt phrase another continuation; bad arguments and missing files a
one-line reason on stderr and a non-zero exit.

This module also provides `pianola_lv2_dir`, which the real-host tests
(test_ardour_export.py, test_jalv_headless.py) use to find a bundle to load:
the built bundle when it holds the bundled model, else a copy of it with a
small random model (music that is nonsense but grammatical, which exercises
every path the trained model does).
"""
import os
import pty
import select
import shutil
import struct
import subprocess
import tempfile
import unittest
import wave

SOURCE_DIR = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD_DIR = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE_DIR, "build"))
RENDER = os.path.join(BUILD_DIR, "pianola-render")
MODEL_IN_BUNDLE = os.path.join("models", "pianola.pnm")
RENDER_TIMEOUT_S = 120
# The build makes the bundle once the plugin's source is in the tree; from
# then on a missing bundle is a failure, not a reason to skip.
PLUGIN_SOURCE = os.path.join(SOURCE_DIR, "plugin", "pianola.c")


def codec_signature() -> tuple:
    """(signature, vocabulary size) of the codec the plugin was built with."""
    output = subprocess.run([os.path.join(BUILD_DIR, "pianola-score"), "--codec"],
                            stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    fields = dict(line.split() for line in output.splitlines() if line.strip())
    return int(fields["signature"], 16), int(fields["vocab_size"])


def write_random_model(path: str) -> None:
    """A small LSTM with seeded random weights, for the codec in the build."""
    import torch

    from train.data import offered_composers
    from train.export import write_weights
    from train.model import PianolaLSTM

    signature, vocab_size = codec_signature()
    torch.manual_seed(5)
    composers = offered_composers().choices
    model = PianolaLSTM(vocab_size, len(composers), 32, 48, 1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.4)
    write_weights(model, path, signature, list(composers))


def pianola_lv2_dir(work_dir: str) -> str:
    """A directory to put first on LV2_PATH so hosts load the Pianola under test:
    the built bundle, or a copy of it with a random model when it has none."""
    built = os.path.join(BUILD_DIR, "pianola.lv2")
    if not os.path.exists(os.path.join(built, "manifest.ttl")):
        raise AssertionError("the Pianola bundle is not built: no %s/manifest.ttl" % built)
    # A directory holding nothing but the bundle: on LV2_PATH, lilv takes every
    # folder of a directory for a bundle, and the build tree's other folders
    # would each make it print an error.
    lv2_dir = os.path.join(work_dir, "lv2")
    bundle = os.path.join(lv2_dir, "pianola.lv2")
    if os.path.exists(os.path.join(built, MODEL_IN_BUNDLE)):
        os.makedirs(lv2_dir, exist_ok=True)
        os.symlink(built, bundle)
        return lv2_dir
    os.makedirs(os.path.join(bundle, "models"), exist_ok=True)
    for name in os.listdir(built):
        if name != "models" and not os.path.exists(os.path.join(bundle, name)):
            os.symlink(os.path.join(built, name), os.path.join(bundle, name))
    write_random_model(os.path.join(bundle, MODEL_IN_BUNDLE))
    return lv2_dir


def lv2_environment(lv2_dir: str) -> dict:
    """The environment with LV2_PATH naming the bundle under test and the
    system's plugins, never the build tree and a copy of it at once."""
    env = dict(os.environ)
    env["LV2_PATH"] = lv2_dir + ":/usr/lib/lv2"
    return env


def write_midi_file(path: str, notes: list, ticks_per_quarter: int = 480) -> None:
    """A format-0 file of (onset quarters, length quarters, pitch, velocity) notes."""
    events = []
    for onset, length, pitch, velocity in notes:
        events.append((round(onset * ticks_per_quarter), 1, bytes([0x90, pitch, velocity])))
        events.append((round((onset + length) * ticks_per_quarter), 0, bytes([0x80, pitch, 0])))
    events.sort()
    track, now = b"", 0

    def delta(ticks: int) -> bytes:
        out = [ticks & 0x7F]
        ticks >>= 7
        while ticks:
            out.insert(0, 0x80 | (ticks & 0x7F))
            ticks >>= 7
        return bytes(out)

    track += b"\x00\xff\x51\x03\x07\xa1\x20" + b"\x00\xff\x58\x04\x04\x02\x18\x08"
    for tick, _, message in events:
        track += delta(tick - now) + message
        now = tick
    track += b"\x00\xff\x2f\x00"
    with open(path, "wb") as out:
        out.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks_per_quarter))
        out.write(b"MTrk" + struct.pack(">I", len(track)) + track)


def midi_events(path: str):
    """Every event of a format-0/1 file, track by track: (track, tick, status, data), where
    status is 0xFF for a meta event (data its type byte, then its bytes) and a channel
    status (running status resolved) otherwise (data its one or two data bytes)."""
    with open(path, "rb") as midi:
        data = midi.read()
    if data[:4] != b"MThd":
        raise AssertionError("%s: not a MIDI file" % path)
    position, number = 14, 0
    while position + 8 <= len(data):
        size = struct.unpack(">I", data[position + 4:position + 8])[0]
        track, index, tick, running = data[position + 8:position + 8 + size], 0, 0, 0
        while index < len(track):
            value = 0
            while True:
                byte = track[index]
                index += 1
                value = (value << 7) | (byte & 0x7F)
                if not byte & 0x80:
                    break
            tick += value
            status = track[index]
            if status == 0xFF:
                length = track[index + 2]
                yield number, tick, 0xFF, track[index + 1:index + 3 + length]
                index += 3 + length
                continue
            if status & 0x80:
                running = status
                index += 1
            data_bytes = 1 if running & 0xF0 in (0xC0, 0xD0) else 2
            yield number, tick, running, track[index:index + data_bytes]
            index += data_bytes
        position += 8 + size
        number += 1


def read_midi_notes(path: str) -> list:
    """(tick, pitch, velocity) of every note-on in a format-0/1 file, in file order."""
    return [(tick, data[0], data[1]) for _, tick, status, data in midi_events(path)
            if status & 0xF0 == 0x90 and data[1] > 0]


@unittest.skipUnless(os.path.exists(PLUGIN_SOURCE), "the plugin is not in this tree yet")
class PianolaRender(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        if not os.path.exists(RENDER):
            raise AssertionError("pianola-render is not built: no %s" % RENDER)
        cls.work_dir = tempfile.mkdtemp(prefix="pianola-render-")
        try:
            cls.env = lv2_environment(pianola_lv2_dir(cls.work_dir))
        except BaseException:
            shutil.rmtree(cls.work_dir, ignore_errors=True)
            raise
        cls.prompt = os.path.join(cls.work_dir, "c-major-phrase.mid")
        # One bar of C major: a rising scale over a held C-E-G chord.
        cls.scale, cls.chord = [60, 62, 64, 65, 67, 69, 71, 72], [48, 52, 55]
        write_midi_file(cls.prompt, [(i * 0.5, 0.5, pitch, 90) for i, pitch in enumerate(cls.scale)]
                        + [(0, 4, pitch, 60) for pitch in cls.chord])

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    def render(self, name: str, *arguments: str, midi: bool = True) -> tuple:
        """Runs pianola-render; returns (wav path, midi path, stderr)."""
        wav = os.path.join(self.work_dir, name + ".wav")
        mid = os.path.join(self.work_dir, name + ".mid")
        command = [RENDER, "-o", wav] + (["--midi", mid] if midi else []) + list(arguments)
        result = subprocess.run(command, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True,
                                timeout=RENDER_TIMEOUT_S)
        self.assertEqual(result.returncode, 0, "%s failed: %s" % (" ".join(command),
                                                                   result.stderr.strip()))
        return wav, mid, result.stderr

    def fails(self, *arguments: str) -> str:
        """Runs pianola-render expecting failure; returns its one stderr line."""
        result = subprocess.run([RENDER] + list(arguments), env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=RENDER_TIMEOUT_S)
        self.assertNotEqual(result.returncode, 0, "expected %s to fail" % " ".join(arguments))
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, "expected a one-line reason, got:\n%s" % result.stderr)
        self.assertTrue(lines[0].startswith("pianola-render: "),
                        "expected the reason to start with the program's name: %s" % lines[0])
        return lines[0]

    @staticmethod
    def read(path: str) -> bytes:
        with open(path, "rb") as data:
            return data.read()

    def test_same_arguments_give_byte_identical_files(self) -> None:
        arguments = ("--bars", "4", "--seed", "7", "--composer", "mozart",
                     "--humanize-velocity", "0.5", "--humanize-timing", "0.5")
        wav_a, mid_a, _ = self.render("same-a", *arguments)
        wav_b, mid_b, _ = self.render("same-b", *arguments)
        self.assertGreater(len(read_midi_notes(mid_a)), 0, "expected notes in %s" % mid_a)
        self.assertEqual(self.read(wav_a), self.read(wav_b), "the two WAV files differ")
        self.assertEqual(self.read(mid_a), self.read(mid_b), "the two MIDI files differ")

    def test_wav_is_48khz_24bit_stereo_covering_the_bars_and_the_tail(self) -> None:
        wav, _, stderr = self.render("format", "--bars", "2", "--tempo", "90", "--tail", "1",
                                     "--seed", "3", midi=False)
        self.assertEqual(stderr, "", "expected no output on stderr when it is not a terminal")
        with wave.open(wav) as audio:
            self.assertEqual((audio.getnchannels(), audio.getsampwidth(), audio.getframerate()),
                             (2, 3, 48000), "channels, bytes per sample, rate")
            # 2 bars of 4/4 at 90 BPM (5.333 s) and a 1 s tail.
            self.assertEqual(audio.getnframes(), 256000 + 48000, "frames")

    def test_music_is_heard_and_its_notes_written(self) -> None:
        wav, mid, _ = self.render("heard", "--bars", "4", "--seed", "11")
        with wave.open(wav) as audio:
            frames = audio.readframes(audio.getnframes())
        samples = [int.from_bytes(frames[i:i + 3], "little", signed=True)
                   for i in range(0, len(frames), 3 * 97)]
        peak = max(abs(sample) for sample in samples) / float(1 << 23)
        self.assertGreater(peak, 1e-3, "expected audible piano, peak %g" % peak)
        notes = read_midi_notes(mid)
        # 4 bars at 120 BPM: 8 s = 16 quarters = 15360 ticks of 960 per quarter.
        late = [note for note in notes if note[0] > 16 * 960 + 960]
        self.assertEqual(late, [], "expected no note-ons after the 4 bars and the tail")

    def test_different_seed_gives_different_music(self) -> None:
        wav_a, mid_a, _ = self.render("seed-7", "--bars", "4", "--seed", "7")
        wav_b, mid_b, _ = self.render("seed-8", "--bars", "4", "--seed", "8")
        self.assertNotEqual(self.read(wav_a), self.read(wav_b),
                            "seeds 7 and 8 gave the same audio")
        self.assertNotEqual(read_midi_notes(mid_a), read_midi_notes(mid_b),
                            "seeds 7 and 8 gave the same notes")

    def test_prompt_changes_the_continuation(self) -> None:
        _, plain, _ = self.render("no-prompt", "--bars", "4", "--seed", "7")
        _, prompted, _ = self.render("prompted", "--bars", "4", "--seed", "7",
                                     "--prompt", self.prompt)
        bar_ticks = 4 * 960
        plain_after = [note for note in read_midi_notes(plain) if note[0] >= bar_ticks]
        prompted_after = [note for note in read_midi_notes(prompted) if note[0] >= bar_ticks]
        self.assertGreater(len(prompted_after), 0,
                           "expected Pianola to continue after the 1-bar prompt")
        self.assertNotEqual(plain_after, prompted_after,
                            "the continuation after the prompt is the same as without one")
        # The MIDI file holds the phrase as it was played in, once.
        phrase = sorted((tick // 480, pitch, velocity)
                        for tick, pitch, velocity in read_midi_notes(prompted) if tick < bar_ticks)
        expected = sorted([(i, pitch, 90) for i, pitch in enumerate(self.scale)] +
                          [(0, pitch, 60) for pitch in self.chord])
        self.assertEqual(phrase, expected, "the prompt's notes in the MIDI file's first bar "
                         "(eighth-note index, pitch, velocity)")

    def test_progress_bar_is_drawn_on_a_terminal(self) -> None:
        wav = os.path.join(self.work_dir, "progress.wav")
        controller, terminal = pty.openpty()
        process = subprocess.Popen([RENDER, "-o", wav, "--bars", "2", "--seed", "1"],
                                   env=self.env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=terminal)
        os.close(terminal)
        shown = b""
        while True:
            ready, _, _ = select.select([controller], [], [], RENDER_TIMEOUT_S)
            if not ready:
                break
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        self.assertEqual(process.wait(timeout=RENDER_TIMEOUT_S), 0, "exit status")
        self.assertIn(b"100%", shown, "expected a progress bar reaching 100%%, got %r"
                      % shown[-200:])

    def test_bundle_beside_the_program_is_found_without_lv2_path(self) -> None:
        installed = [path for path in ("/usr/lib/lv2/pianola.lv2", "/usr/local/lib/lv2/pianola.lv2")
                     if os.path.exists(path)]
        if installed:
            self.skipTest("an installed Pianola (%s) could be found instead" % installed[0])
        env = dict(self.env)
        del env["LV2_PATH"]
        env["HOME"] = self.work_dir  # no ~/.lv2 to fall back on
        wav = os.path.join(self.work_dir, "build-tree.wav")
        result = subprocess.run([RENDER, "-o", wav, "--bars", "1"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=RENDER_TIMEOUT_S)
        self.assertNotIn("no LV2 plugin", result.stderr,
                         "pianola-render did not find the bundle beside it in the build tree")
        self.assertTrue(os.path.exists(wav), "no %s; stderr: %s" % (wav, result.stderr))

    def test_help_exits_zero(self) -> None:
        result = subprocess.run([RENDER, "--help"], stdout=subprocess.PIPE,
                                universal_newlines=True, timeout=30)
        self.assertEqual(result.returncode, 0, "exit status of --help")
        self.assertIn("--prompt", result.stdout, "expected the options in --help")

    def test_bad_arguments_give_one_line_errors(self) -> None:
        wav = os.path.join(self.work_dir, "never.wav")
        cases = [
            ((), "-o OUT.wav"),
            (("-o", wav, "--bars", "many"), "--bars"),
            (("-o", wav, "--bars", "0"), "--bars"),
            (("-o", wav, "--temperature", "warm"), "--temperature"),
            (("-o", wav, "--top-p", "1.5"), "--top-p"),
            (("-o", wav, "--seed", "16777216"), "--seed"),
            (("-o", wav, "--temperature", "2.5"), "--temperature"),
            (("-o", wav, "--composer", "bach"), "bach"),
            (("-o", wav, "--meter", "4/3"), "--meter"),
            (("-o", wav, "--tempo"), "--tempo"),
            (("-o", wav, "--no-such-option"), "--no-such-option"),
            (("-o", wav, "stray-argument"), "stray-argument"),
        ]
        for arguments, expected in cases:
            with self.subTest(arguments=arguments):
                line = self.fails(*arguments)
                self.assertIn(expected, line, "expected the reason to name %r" % expected)
        self.assertFalse(os.path.exists(wav), "a failed render left %s behind" % wav)

    def test_missing_and_bad_files_give_one_line_errors(self) -> None:
        wav = os.path.join(self.work_dir, "never.wav")
        not_midi = os.path.join(self.work_dir, "not-midi.mid")
        with open(not_midi, "w") as text:
            text.write("this is not a MIDI file\n")
        not_soundfont = os.path.join(self.work_dir, "not-a-soundfont.sf2")
        with open(not_soundfont, "w") as text:
            text.write("this is not a SoundFont\n")
        long_phrase = os.path.join(self.work_dir, "eight-bars.mid")
        write_midi_file(long_phrase, [(beat, 1, 60 + beat % 12, 80) for beat in range(32)])
        cases = [
            (("-o", wav, "--prompt", "/no/such/phrase.mid"), "/no/such/phrase.mid"),
            (("-o", wav, "--soundfont", "/no/such/piano.sf2"), "/no/such/piano.sf2"),
            (("-o", wav, "--prompt", not_midi), not_midi),
            (("-o", wav, "--bars", "1", "--soundfont", not_soundfont), not_soundfont),
            (("-o", wav, "--bars", "4", "--prompt", long_phrase), "--bars"),
            (("-o", "/no/such/directory/out.wav", "--bars", "1"), "/no/such/directory/out.wav"),
        ]
        for arguments, expected in cases:
            with self.subTest(arguments=arguments):
                line = self.fails(*arguments)
                self.assertIn(expected, line, "expected the reason to name %r" % expected)
        self.assertFalse(os.path.exists(wav), "a failed render left %s behind" % wav)


if __name__ == "__main__":
    unittest.main()
