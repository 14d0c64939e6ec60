"""Pianola's window inside a real host: jalv.gtk3 loads the built bundle and
shows the X11 UI wrapped in GTK by suil, under a private Xvfb and a dummy
JACK server. The window must appear, and nothing about the UI may be
reported on jalv's output: no X errors, no GTK warnings, no suil or lilv
complaints about the UI."""
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
UI_URI = PLUGIN_URI + "#ui"
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
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        process.kill()
        process.wait()
        raise RuntimeError("Xvfb did not report a display number")
    return process, ":" + number


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class JalvShowsTheUi(unittest.TestCase):
    def setUp(self) -> None:
        bundle = os.path.join(build_dir(), "pianola.lv2")
        for program in ("jalv.gtk3", "jackd", "jack_wait", "Xvfb"):
            if not shutil.which(program):
                self.skipTest("%s is not installed" % program)
        # waf names the binaries lib*.so; the manifest says which.
        for names in (("libpianola.so", "pianola.so"), ("libpianola_ui.so", "pianola_ui.so"),
                      ("manifest.ttl",)):
            if not any(os.path.exists(os.path.join(bundle, name)) for name in names):
                self.skipTest("the bundle is not built: %s lacks %s" % (bundle, names[0]))
        self.processes = []
        self.xvfb, self.display = start_xvfb()
        self.processes.append(self.xvfb)
        self.env = dict(os.environ)
        # Only the bundle on LV2_PATH: lilv would take every folder of the
        # build directory for a bundle and complain about each.
        self.lv2_path = tempfile.mkdtemp(prefix="pianola-lv2-")
        os.symlink(bundle, os.path.join(self.lv2_path, "pianola.lv2"))
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
        if getattr(self, "lv2_path", None):
            shutil.rmtree(self.lv2_path, ignore_errors=True)

    def run_jalv(self, close_window: bool) -> "tuple[str, object, bool, object]":
        """Runs jalv.gtk3 with the UI for a few seconds, then ends it with
        SIGINT or by closing its window as a person would. Returns its
        output, its status before the end (None: it was still running),
        whether our window appeared, and its exit status."""
        with tempfile.TemporaryFile(mode="w+") as output:
            jalv = subprocess.Popen(["jalv.gtk3", "-U", UI_URI, PLUGIN_URI], env=self.env,
                                    stdout=output, stderr=subprocess.STDOUT, text=True)
            self.processes.append(jalv)
            deadline = time.monotonic() + SECONDS_OPEN
            shown = False
            while time.monotonic() < deadline and jalv.poll() is None:
                time.sleep(0.5)
                shown = shown or find_pianola_window(self.display)[1] != 0
            status = jalv.poll()
            if close_window and status is None:
                close_x_window(self.display, find_pianola_window(self.display)[0])
                try:
                    jalv.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            stop(jalv, signal.SIGINT)
            output.seek(0)
            return output.read(), status, shown, jalv.returncode

    def check_log(self, log: str, status: object, shown: bool) -> None:
        trouble = [line for line in log.splitlines()
                   if TROUBLE.search(line) and not DSP_LOG.search(line)]
        self.assertIsNone(status, "%s\njalv.gtk3 exited early (status %s)" % (log, status))
        self.assertTrue(shown, "%s\nno window named Pianola appeared under jalv.gtk3" % log)
        self.assertFalse(trouble, "%s\njalv.gtk3 reported trouble: %s" % (log, trouble))

    def test_jalv_gtk3_shows_the_ui_without_errors_or_warnings(self) -> None:
        log, status, shown, _ = self.run_jalv(close_window=False)
        self.check_log(log, status, shown)

    def test_closing_jalvs_window_closes_the_ui_cleanly(self) -> None:
        # jalv destroys its window, ours inside it, before the UI's cleanup.
        log, status, shown, exit_status = self.run_jalv(close_window=True)
        self.check_log(log, status, shown)
        self.assertEqual(exit_status, 0, "%s\njalv.gtk3 ended with status %s after its window "
                         "was closed" % (log, exit_status))


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


def find_pianola_window(display: str) -> "tuple[int, int]":
    """The top-level window holding Pianola's UI window (which names itself
    "Pianola"), and the UI window; (0, 0) when there is none."""
    library = xlib()
    connection = library.XOpenDisplay(display.encode())
    if not connection:
        return 0, 0
    try:
        for top in children(library, connection, library.XDefaultRootWindow(connection)):
            pending = children(library, connection, top)
            while pending:
                window = pending.pop()
                if window_name(library, connection, window) == b"Pianola":
                    return top, window
                pending.extend(children(library, connection, window))
        return 0, 0
    finally:
        library.XCloseDisplay(connection)


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
