"""Pianola in a real host: jalv (the console host), headless, on JACK's dummy
backend. jackd runs under a server name of its own, jalv runs the plugin for
some seconds, jack_rec records its audio outputs and jack_midi_dump its MIDI
out; then everything is stopped by process id.

jalv hands JACK's transport to the plugin as time:Position; once the test
rolls it (jack_transport play), Pianola must make music: the recording holds
sound, notes come out of the MIDI port, and neither jalv nor the plugin
prints an error or a warning. Pianola (MIDI), the bundle's plugin without
the piano, the same: its notes come out of its MIDI port, and it has no
audio port at all.
"""
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_render import lv2_environment, pianola_lv2_dir  # noqa: E402

PLUGIN_URI = "urn:pianola:pianola"
MIDI_PLUGIN_URI = "urn:pianola:pianola-midi"
CLIENT_NAME = "pianola-under-test"
SAMPLE_RATE = 48000
PERIOD_FRAMES = 256
RECORD_SECONDS = 4
START_TIMEOUT_S = 20
FIRST_NOTE_TIMEOUT_S = 30

SOURCE_DIR = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
# The build makes the bundle once the plugin's source is in the tree; from
# then on a missing bundle is a failure, not a reason to skip.
PLUGIN_SOURCE = os.path.join(SOURCE_DIR, "plugin", "pianola.c")

# jalv's own banner lines, and JACK's chatter when a client closes; anything
# else on jalv's output that says error or warning is a failure.
PROBLEM = re.compile(r"error|warning|fail|cannot|assert|abort", re.IGNORECASE)


class JackSession:
    """A private jackd on the dummy backend, and the JACK clients started in it,
    each in a process group of its own so cleanup reaches whatever they start."""

    def __init__(self, work_dir: str, lv2_dir: str, name: str = "jalv") -> None:
        self.work_dir = work_dir
        self.server_name = "pianola-test-%s-%d" % (name, os.getpid())
        self.env = lv2_environment(lv2_dir)
        self.env["JACK_DEFAULT_SERVER"] = self.server_name
        self.env["JACK_NO_START_SERVER"] = "1"       # never autostart a second server
        self.env["JACK_NO_AUDIO_RESERVATION"] = "1"  # no D-Bus device reservation
        self.processes = []
        self.server = self.start("jackd", ["jackd", "--no-realtime", "-n", self.server_name,
                                           "-d", "dummy", "-r", str(SAMPLE_RATE),
                                           "-p", str(PERIOD_FRAMES)])
        try:
            waited = subprocess.run(["jack_wait", "-w", "-t", str(START_TIMEOUT_S)],
                                    env=self.env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, universal_newlines=True,
                                    timeout=START_TIMEOUT_S + 5).stdout
        except subprocess.TimeoutExpired:
            waited = "jack_wait did not return"
        if "server is available" not in waited:
            self.close()
            raise AssertionError("jackd -d dummy did not start: %s %s"
                                 % (waited.strip(), self.log("jackd")[-2000:]))

    def start(self, name: str, command: list, stdin=subprocess.DEVNULL) -> subprocess.Popen:
        log = open(os.path.join(self.work_dir, name + ".log"), "w")
        process = subprocess.Popen(command, env=self.env, cwd=self.work_dir, stdin=stdin,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        """What a program started here printed; empty if it never started."""
        path = os.path.join(self.work_dir, name + ".log")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as log:
            return log.read()

    def ports(self) -> dict:
        """{port name: its properties and type line}, from jack_lsp -p -t; empty
        while the server does not answer (a loaded machine can hold a server
        without realtime scheduling back for seconds: callers wait and ask again)."""
        try:
            listing = subprocess.run(["jack_lsp", "-p", "-t"], env=self.env, timeout=10,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     universal_newlines=True).stdout
        except subprocess.TimeoutExpired:
            return {}
        ports, name = {}, None
        for line in listing.splitlines():
            if line and not line[0].isspace():
                name = line.strip()
                ports[name] = ""
            elif name:
                ports[name] += line.strip() + " "
        return ports

    def stop(self, process: subprocess.Popen, how=signal.SIGTERM, wait_s: float = 10) -> int:
        if process.poll() is None:
            os.killpg(process.pid, how)
            try:
                process.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return process.returncode

    def close(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)


def note_ons(midi_dump: str) -> list:
    """The note-on lines of jack_midi_dump's output ("  139: 90 4a 3f note on ...")."""
    return [line for line in midi_dump.splitlines()
            if re.search(r":\s+9[0-9a-f] [0-9a-f]{2} (?!00)[0-9a-f]{2}\b", line, re.IGNORECASE)]


def wav_peak(path: str) -> float:
    """The largest absolute sample of a 16-bit PCM WAV file (jack_rec's default), 0..1."""
    with open(path, "rb") as wav:
        data = wav.read()
    position = 12
    while position + 8 <= len(data):
        chunk_id = data[position:position + 4]
        size = struct.unpack("<I", data[position + 4:position + 8])[0]
        if chunk_id == b"data":
            body = data[position + 8:position + 8 + size]
            samples = struct.unpack("<%dh" % (len(body) // 2), body[:len(body) // 2 * 2])
            return max((abs(sample) for sample in samples), default=0) / 32768.0
        position += 8 + size + (size & 1)
    raise AssertionError("%s: no data chunk" % path)


@unittest.skipUnless(os.path.exists(PLUGIN_SOURCE), "the plugin is not in this tree yet")
class JalvHeadless(unittest.TestCase):
    plugin_uri = PLUGIN_URI
    audio_port_count = 2

    @classmethod
    def setUpClass(cls) -> None:
        for program in ("jackd", "jalv", "jack_wait", "jack_lsp", "jack_rec", "jack_midi_dump",
                        "jack_connect", "jack_transport", "stdbuf"):
            if shutil.which(program) is None:
                raise AssertionError("%s is not installed (tools/install-deps.sh installs "
                                     "Debian's jalv and jackd2)" % program)
        cls.work_dir = tempfile.mkdtemp(prefix="pianola-jalv-")
        try:
            cls.jack = JackSession(cls.work_dir, pianola_lv2_dir(cls.work_dir),
                                   cls.__name__.lower())
            try:
                cls.run_plugin()
            finally:
                cls.jack.close()
        except BaseException:
            # unittest skips tearDownClass when setUpClass fails.
            shutil.rmtree(cls.work_dir, ignore_errors=True)
            raise

    @classmethod
    def run_plugin(cls) -> None:
        jack = cls.jack
        # jalv's console reads commands from stdin and quits at its end: keep
        # it open while the plugin plays.
        jalv = jack.start("jalv", ["jalv", "-x", "-n", CLIENT_NAME, cls.plugin_uri],
                          stdin=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        plugin_ports, previous = {}, None
        # jalv registers its ports one at a time: wait until the list holds
        # still (the same twice, half a second apart), not just for the first.
        while time.monotonic() < deadline and jalv.poll() is None:
            plugin_ports = {name: info for name, info in jack.ports().items()
                            if name.startswith(CLIENT_NAME + ":")}
            if plugin_ports and plugin_ports == previous:
                break
            previous = plugin_ports
            time.sleep(0.5)
        cls.plugin_ports = plugin_ports
        cls.audio_outputs = sorted(name for name, info in plugin_ports.items()
                                   if "output" in info and "audio" in info)
        cls.midi_outputs = sorted(name for name, info in plugin_ports.items()
                                  if "output" in info and "midi" in info)
        cls.recording = os.path.join(cls.work_dir, "jalv.wav")
        cls.first_note_s = None
        if cls.midi_outputs:
            # Line-buffered, so its log shows each note as it comes.
            dump = jack.start("midi_dump", ["stdbuf", "-oL", "jack_midi_dump",
                                            "pianola-midi-dump"])
            time.sleep(0.5)
            for port in cls.midi_outputs:
                subprocess.run(["jack_connect", port, "pianola-midi-dump:input"], env=jack.env,
                               timeout=10, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # jalv passes JACK's transport to the plugin as time:Position, and
            # a stopped transport is a stopped host: roll it, as a user would.
            subprocess.run(["jack_transport"], input="play\n", env=jack.env, timeout=10,
                           universal_newlines=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            cls.rolled = time.monotonic()
            # The plugin composes its first bar on the worker before it plays:
            # wait for its first note, then record what follows.
            deadline = time.monotonic() + FIRST_NOTE_TIMEOUT_S
            while time.monotonic() < deadline and jalv.poll() is None:
                if note_ons(jack.log("midi_dump")):
                    cls.first_note_s = time.monotonic() - cls.rolled
                    break
                time.sleep(0.1)
            if cls.audio_outputs:
                recorder = jack.start("jack_rec", ["jack_rec", "-f", cls.recording, "-d",
                                                   str(RECORD_SECONDS)] + cls.audio_outputs)
                try:
                    recorder.wait(timeout=RECORD_SECONDS + START_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    jack.stop(recorder, signal.SIGKILL)
            else:
                time.sleep(RECORD_SECONDS)
            jack.stop(dump, signal.SIGINT)
        cls.jalv_running_at_end = jalv.poll() is None
        # The end of its commands is how a console user quits jalv: it closes
        # the plugin and the JACK client and exits with status 0.
        jalv.stdin.close()
        try:
            cls.jalv_status = jalv.wait(timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            cls.jalv_status = "still running %d s after its input ended" % START_TIMEOUT_S
            jack.stop(jalv, signal.SIGKILL)
        cls.jalv_output = jack.log("jalv")
        cls.midi_dump = jack.log("midi_dump")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    def test_jalv_runs_the_plugin_until_told_to_stop(self) -> None:
        self.assertTrue(self.plugin_ports, "jalv registered no JACK ports within %d s; its "
                        "output:\n%s" % (START_TIMEOUT_S, self.jalv_output[-3000:]))
        self.assertTrue(self.jalv_running_at_end, "jalv quit while the plugin played; its "
                        "output:\n%s" % self.jalv_output[-3000:])
        self.assertEqual(len(self.audio_outputs), self.audio_port_count,
                         "expected %d audio outputs among %s"
                         % (self.audio_port_count, sorted(self.plugin_ports)))

    def test_jalv_and_the_plugin_print_no_errors(self) -> None:
        problems = [line for line in self.jalv_output.splitlines() if PROBLEM.search(line)]
        self.assertEqual(problems, [], "jalv printed errors or warnings:\n%s"
                         % self.jalv_output[-3000:])
        self.assertEqual(self.jalv_status, 0, "jalv's exit status")

    def test_plugin_plays_music_when_the_transport_rolls(self) -> None:
        if not self.audio_port_count:
            self.assertFalse(os.path.exists(self.recording), "a recording of no audio port")
            return
        self.assertTrue(os.path.exists(self.recording), "jack_rec wrote no recording; its "
                        "output:\n%s" % self.jack.log("jack_rec")[-2000:])
        peak = wav_peak(self.recording)
        self.assertGreater(peak, 1e-3, "expected piano in the %d s of jalv's audio outputs "
                           "after its first note, found peak %g" % (RECORD_SECONDS, peak))

    def test_plugin_sends_its_notes_on_midi_out(self) -> None:
        self.assertTrue(self.midi_outputs, "no MIDI output port among %s"
                        % sorted(self.plugin_ports))
        self.assertIsNotNone(self.first_note_s, "expected a note-on from the MIDI out port "
                             "within %d s of rolling the transport; jack_midi_dump printed:\n%s"
                             % (FIRST_NOTE_TIMEOUT_S, self.midi_dump[-2000:]))
        print("jalv_first_note: %.1f s after the transport rolled (%s)"
              % (self.first_note_s, self.plugin_uri))
        self.assertGreater(len(note_ons(self.midi_dump)), 1, "expected notes to keep coming")


class JalvHeadlessMidi(JalvHeadless):
    """Pianola (MIDI) in jalv: no audio port, its notes on MIDI out."""
    plugin_uri = MIDI_PLUGIN_URI
    audio_port_count = 0


if __name__ == "__main__":
    unittest.main()
