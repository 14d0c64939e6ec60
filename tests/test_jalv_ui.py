"""Pianola's window inside a real host: jalv.gtk3 loads the built bundle and
shows the X11 UI wrapped in GTK by suil, under a private Xvfb and a dummy
JACK server. The window must appear, and nothing about the UI may be
reported on jalv's output: no X errors, no GTK warnings, no suil or lilv
complaints about the UI. With a model in the bundle (the built one's, else a
small random one written for the test) the notes the DSP composes must reach
the window's piano roll. The same for Pianola (MIDI), the bundle's plugin
without the piano, whose window is the same UI."""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

PLUGIN_URI = "urn:pianola:pianola"
MIDI_PLUGIN_URI = "urn:pianola:pianola-midi"
UI_URI = PLUGIN_URI + "#ui"  # both plugins'

SECONDS_OPEN = 4.0

# Lines on jalv's output that mean something went wrong with the UI or its
# embedding. jalv's own chatter (ports, block length, JACK) is fine.
TROUBLE = re.compile(r"error|warning|critical|X Error|BadWindow|BadMatch|BadDrawable|"
                     r"failed|cannot|unable|segmentation|abort", re.IGNORECASE)
# What the DSP logs through jalv (LV2 log: "warning: Pianola: ...") is the
# plugin's business, not the window's: a missing model must not fail this.
DSP_LOG = re.compile(r"^(error|warning|note|trace): Pianola: ")


def build_dir() -> str:
    return os.environ.get("PIANOLA_BUILD", os.getcwd())


def start_xvfb() -> "tuple[subprocess.Popen, str]":
    """Starts Xvfb on a free display it picks itself (-displayfd)."""
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        process.kill()
        process.wait()
        raise RuntimeError("Xvfb did not report a display number")
    return process, ":" + number


def codec_signature() -> "tuple[int, int]":
    """(signature, vocabulary size) of the codec this build speaks."""
    output = subprocess.run([os.path.join(build_dir(), "pianola-score"), "--codec"],
                            capture_output=True, text=True, check=True).stdout
    fields = dict(line.split() for line in output.splitlines() if line.strip())
    return int(fields["signature"], 16), int(fields["vocab_size"])


def write_random_model(path: str) -> None:
    """A small LSTM with seeded random weights for this build's codec: music
    that is nonsense but grammatical, enough for notes to flow to the UI."""
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


def bundle_folder(work_dir: str) -> "tuple[str, bool]":
    """A folder for LV2_PATH holding only the bundle under test (lilv would
    take every folder of the build directory for a bundle and complain about
    each), and whether the bundle has a model. Without the bundled model the
    bundle is mirrored with a random one, when PyTorch is there to write it."""
    built = os.path.join(build_dir(), "pianola.lv2")
    model = os.path.join("models", "pianola.pnm")
    bundle = os.path.join(work_dir, "pianola.lv2")
    if os.path.exists(os.path.join(built, model)):
        os.symlink(built, bundle)
        return work_dir, True
    os.makedirs(os.path.join(bundle, "models"))
    for name in os.listdir(built):
        if name != "models":
            os.symlink(os.path.join(built, name), os.path.join(bundle, name))
    try:
        write_random_model(os.path.join(bundle, model))
    except (ImportError, OSError, subprocess.CalledProcessError):
        return work_dir, False
    return work_dir, True


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class JalvShowsTheUi(unittest.TestCase):
    lv2_path = ""
    has_model = False
    plugin_uri = PLUGIN_URI
    window_title = b"Pianola"  # what the UI names its window

    @classmethod
    def setUpClass(cls) -> None:
        built = os.path.join(build_dir(), "pianola.lv2")
        if os.path.exists(os.path.join(built, "manifest.ttl")):
            cls.lv2_path = tempfile.mkdtemp(prefix="pianola-lv2-")
            cls.lv2_path, cls.has_model = bundle_folder(cls.lv2_path)

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.lv2_path:
            shutil.rmtree(cls.lv2_path, ignore_errors=True)

    def setUp(self) -> None:
        bundle = os.path.join(build_dir(), "pianola.lv2")
        for program in ("jalv.gtk3", "jackd", "jack_wait", "Xvfb"):
            if not shutil.which(program):
                self.skipTest("%s is not installed" % program)
        for names in (("pianola.so",), ("pianola_ui.so",), ("manifest.ttl",)):
            if not any(os.path.exists(os.path.join(bundle, name)) for name in names):
                self.skipTest("the bundle is not built: %s lacks %s" % (bundle, names[0]))
        self.processes = []
        self.xvfb, self.display = start_xvfb()
        self.processes.append(self.xvfb)
        self.env = dict(os.environ)
        self.env.update({
            "DISPLAY": self.display,
            "LV2_PATH": self.lv2_path,
            "JACK_DEFAULT_SERVER": "pianola-ui-" + uuid.uuid4().hex[:8],
            "JACK_NO_START_SERVER": "1",
            "NO_AT_BRIDGE": "1",  # no accessibility bus on a bare test machine
        })
        self.env.pop("GDK_SCALE", None)
        self.jack = subprocess.Popen(
            ["jackd", "--no-realtime", "-n", self.env["JACK_DEFAULT_SERVER"], "-d", "dummy",
             "-r", "48000", "-p", "256"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(self.jack)
        ready = subprocess.run(["jack_wait", "-w", "-t", "10"], env=self.env,
                               capture_output=True, text=True)
        if ready.returncode != 0:
            self.fail("the dummy JACK server did not start: %s" % ready.stdout.strip())

    def tearDown(self) -> None:
        for process in reversed(getattr(self, "processes", [])):
            stop(process)

    def run_jalv(self, close_window: bool, while_open=None) -> "tuple[str, object, bool, object]":
        """Runs jalv.gtk3 with the UI for a few seconds, calls while_open (if
        given) with our window, then ends jalv with SIGINT or by closing its
        window as a person would. Returns its output, its status before the
        end (None: it was still running), whether our window appeared, and
        its exit status."""
        with tempfile.TemporaryFile(mode="w+") as output:
            jalv = subprocess.Popen(["jalv.gtk3", "-U", UI_URI, self.plugin_uri], env=self.env,
                                    stdout=output, stderr=subprocess.STDOUT, text=True)
            self.processes.append(jalv)
            deadline = time.monotonic() + SECONDS_OPEN
            shown = False
            while time.monotonic() < deadline and jalv.poll() is None:
                time.sleep(0.5)
                shown = shown or self.find_window()[1] != 0
            status = jalv.poll()
            if while_open and status is None:
                while_open(self.find_window()[1])
            if close_window and status is None:
                close_x_window(self.display, self.find_window()[0])
                try:
                    jalv.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            stop(jalv, signal.SIGINT)
            output.seek(0)
            return output.read(), status, shown, jalv.returncode

    def find_window(self) -> "tuple[int, int]":
        return find_pianola_window(self.display, self.window_title)

    def check_log(self, log: str, status: object, shown: bool) -> None:
        trouble = [line for line in log.splitlines()
                   if TROUBLE.search(line) and not DSP_LOG.search(line)]
        self.assertIsNone(status, "%s\njalv.gtk3 exited early (status %s)" % (log, status))
        self.assertTrue(shown, "%s\nno window named %s appeared under jalv.gtk3"
                        % (log, self.window_title.decode()))
        self.assertFalse(trouble, "%s\njalv.gtk3 reported trouble: %s" % (log, trouble))

    def test_jalv_gtk3_shows_the_ui_without_errors_or_warnings(self) -> None:
        log, status, shown, _ = self.run_jalv(close_window=False)
        self.check_log(log, status, shown)

    def test_composed_notes_reach_the_roll(self) -> None:
        if not self.has_model:
            self.skipTest("no model in the bundle and no PyTorch to write one")
        counts = []
        log, status, shown, _ = self.run_jalv(
            close_window=False,
            while_open=lambda window: counts.append(count_composed_pixels(self.display, window)))
        self.check_log(log, status, shown)
        # The plugin composes ahead of the playhead, whether JACK's transport
        # rolls or stands at the start; the roll shows those notes in teal.
        self.assertTrue(counts and counts[0] > 40,
                        "%s\nexpected composed (teal) notes in the roll after %g s in jalv, "
                        "found %s teal pixels" % (log, SECONDS_OPEN, counts))

    def test_closing_jalvs_window_closes_the_ui_cleanly(self) -> None:
        # jalv destroys its window, ours inside it, before the UI's cleanup.
        log, status, shown, exit_status = self.run_jalv(close_window=True)
        self.check_log(log, status, shown)
        self.assertEqual(exit_status, 0, "%s\njalv.gtk3 ended with status %s after its window "
                         "was closed" % (log, exit_status))


class JalvShowsTheUiForTheMidiPlugin(JalvShowsTheUi):
    """The same window for Pianola (MIDI), at its own port indices."""
    plugin_uri = MIDI_PLUGIN_URI
    window_title = b"Pianola (MIDI)"


class ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [("client", ClientMessage), ("pad", ctypes.c_long * 24)]


def xlib() -> ctypes.CDLL:
    """libX11 through ctypes: the few calls these tests need, no x11-utils."""
    library = ctypes.CDLL("libX11.so.6")
    library.XOpenDisplay.restype = ctypes.c_void_p
    library.XOpenDisplay.argtypes = [ctypes.c_char_p]
    library.XCloseDisplay.argtypes = [ctypes.c_void_p]
    library.XDefaultRootWindow.restype = ctypes.c_ulong
    library.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    library.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                   ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong),
                                   ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                   ctypes.POINTER(ctypes.c_uint)]
    library.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                   ctypes.POINTER(ctypes.c_char_p)]
    library.XFree.argtypes = [ctypes.c_void_p]
    library.XInternAtom.restype = ctypes.c_ulong
    library.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    library.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                   ctypes.c_void_p]
    library.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return library


def children(library: ctypes.CDLL, connection: int, window: int) -> "list[int]":
    root, parent = ctypes.c_ulong(), ctypes.c_ulong()
    array, count = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
    if not library.XQueryTree(connection, window, ctypes.byref(root), ctypes.byref(parent),
                              ctypes.byref(array), ctypes.byref(count)):
        return []
    found = [array[i] for i in range(count.value)]
    if array:
        library.XFree(array)
    return found


def window_name(library: ctypes.CDLL, connection: int, window: int) -> bytes:
    name = ctypes.c_char_p()
    if not library.XFetchName(connection, window, ctypes.byref(name)) or not name.value:
        return b""
    value = name.value
    library.XFree(name)
    return value


def find_pianola_window(display: str, title: bytes = b"Pianola") -> "tuple[int, int]":
    """The top-level window holding Pianola's UI window (which names itself
    "Pianola", or "Pianola (MIDI)"), and the UI window; (0, 0) when there is
    none."""
    library = xlib()
    connection = library.XOpenDisplay(display.encode())
    if not connection:
        return 0, 0
    try:
        for top in children(library, connection, library.XDefaultRootWindow(connection)):
            pending = children(library, connection, top)
            while pending:
                window = pending.pop()
                if window_name(library, connection, window) == title:
                    return top, window
                pending.extend(children(library, connection, window))
        return 0, 0
    finally:
        library.XCloseDisplay(connection)


def count_composed_pixels(display: str, window: int) -> int:
    """Teal pixels (composed notes) in the roll of our window at scale 1:
    below the header, right of the keys, above the legend's row. The roll
    shades a note by its velocity toward the background, and a note not yet
    heard is drawn at 78%: a piano note (velocity 45) not yet played is
    (55, 94, 94), so teal is told by its hue (green and blue alike, well
    above red), not by its brightness."""
    if not window:
        return 0
    library = xlib()
    library.XGetImage.restype = ctypes.c_void_p
    library.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                  ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    library.XGetPixel.restype = ctypes.c_ulong
    library.XGetPixel.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    library.XDestroyImage.argtypes = [ctypes.c_void_p]
    connection = library.XOpenDisplay(display.encode())
    if not connection:
        return 0
    # the roll's notes, left of the playhead and right of it (0.56 of the roll's width)
    left, top, right, bottom = 50, 62, 1560, 360
    image = library.XGetImage(connection, window, 0, 0, right, bottom, 0xffffffff, 2)
    count = 0
    if image:
        for y in range(top, bottom, 2):
            for x in range(left, right, 2):
                value = library.XGetPixel(image, x, y)
                red, green, blue = (value >> 16) & 255, (value >> 8) & 255, value & 255
                count += green > red + 20 and blue > red + 20 and green > 50
        library.XDestroyImage(image)
    library.XCloseDisplay(connection)
    return count


def close_x_window(display: str, window: int) -> None:
    """Asks a window to close as a window manager would (WM_DELETE_WINDOW)."""
    if not window:
        return
    library = xlib()
    connection = library.XOpenDisplay(display.encode())
    if not connection:
        return
    event = XEvent()
    event.client.type = 33  # ClientMessage
    event.client.window = window
    event.client.message_type = library.XInternAtom(connection, b"WM_PROTOCOLS", 0)
    event.client.format = 32
    event.client.data[0] = library.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
    event.client.data[1] = 0  # CurrentTime
    library.XSendEvent(connection, window, 0, 0, ctypes.byref(event))
    library.XSync(connection, 0)
    library.XCloseDisplay(connection)


if __name__ == "__main__":
    unittest.main()
