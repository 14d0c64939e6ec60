#!/usr/bin/env python3
"""Soaks Pianola in real hosts: many sessions, exports, reloads and UI
openings, each checked for aborts, hangs, heap corruption, sanitizer reports,
FluidSynth errors and (for a share run under valgrind) invalid reads, writes
and frees in Pianola's code. A host crash loses a user's session: this is how
Pianola shows it causes none.

    python3 tests/soak.py [--ardour N] [--jalv N] [--ui N] [--valgrind-every K]
                          [--minutes M] [--logs DIR] [--plugin URI]

It runs against the installed bundle (~/.lv2, or LV2_PATH when set), so build
and install first (`./waf configure --user build install`). Each run varies
what a user varies, in turn:
  * Ardour (ardour7-lua, then ardour7-export twice, each loading the saved
    session anew): tempo, meter (4/4, 3/4, 6/8, 2/4), a preset, one or two
    instances, an ensemble (the second instance's), the SoundFont, and a
    captured prompt; the two exports must be the same audio and hold sound;
  * jalv on a private dummy JACK server: start, play, change settings through
    jalv's control input, locate, stop, play again, re-roll, and quit, now
    and then right while a bar is being composed, by closing jalv's input or
    with SIGINT or SIGTERM;
  * jalv.gtk3 under Xvfb: open the UI, play, close the window, open it again.
Carla is not in Debian 12's package archive, so it is not soaked here.

Every run's exit status and signal are checked and its output scanned; the
logs of a failed run are kept under --logs. The last line sums it up:
    soak: 412 runs, 0 failed (ardour 200, jalv 200, ui 12) in 2710 s
and the exit status is 1 when any run failed. `--plugin urn:ardour:a-fluidsynth`
soaks Ardour's own FluidSynth plugin instead, to tell a host's faults from
Pianola's. The short form (a few runs of each) is tests/test_soak.py.
"""
import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_ardour_export import ArdourHeadlessExport, read_float_wav  # noqa: E402
from test_jalv_headless import JackSession  # noqa: E402
from test_jalv_ui import close_x_window, find_pianola_window, start_xvfb  # noqa: E402
from test_render import write_midi_file  # noqa: E402

PIANOLA_URI = "urn:pianola:pianola"
PIANOLA_MIDI_URI = "urn:pianola:pianola-midi"  # jalv and UI sessions only: no audio to export
# A pair per part; Ardour's strict I/O gives its track the first, the piano's.
PIANOLA_PARTS_URI = "urn:pianola:pianola-parts"
SOUNDING_PIANOLAS = (PIANOLA_URI, PIANOLA_PARTS_URI)
SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SESSION_SCRIPT = os.path.join(SOURCE_DIR, "tests", "ardour", "soak_session.lua")
SAMPLE_RATE = 48000
HOST_TIMEOUT_S = 90
HOST_FAULT_RETRIES = 3  # tries again after one of Ardour's own faults
QUIT_TIMEOUT_S = 30  # jalv, told to quit
BELOW_24_BIT = 2.0 ** -24  # one step of a 24-bit file: exports closer than this sound alike
VALGRIND_TIMEOUT_S = 1800
# Bars at most in a cycle whose first export runs under valgrind, which
# plays FluidSynth some fifty times slower: 8 bars there took past 20
# minutes on two busy cores.
VALGRIND_BARS = 4

# What a run's output must never hold. glibc's heap checks print these
# before they abort; the sanitizers and FluidSynth print the others.
TROUBLE = {
    "heap": re.compile(r"munmap_chunk|double free|free\(\): invalid|malloc\(\)|"
                       r"corrupted (size|double-linked|top size)|malloc_consolidate|"
                       r"realloc\(\): invalid|stack smashing"),
    "sanitizer": re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:"),
    "fluidsynth": re.compile(r"fluidsynth: (error|panic)", re.IGNORECASE),
    "pianola-error": re.compile(r"^error: Pianola: ", re.MULTILINE),
}

# A saved state's timeline and settings items, as lilv writes them.
TIMELINE_ITEM = r"<urn:pianola:pianola#timeline> \[[^\]]*\]"
SETTINGS_ITEM = r"<urn:pianola:pianola#settings> \[[^\]]*\]"

# (beats per minute, beats per bar, note value) the Ardour cycles turn through.
METERS = [(120, 4, 4), (96, 3, 4), (132, 6, 8), (144, 2, 4), (72, 4, 4), (108, 3, 4)]

# The Ensemble control's values other than solo piano (violin and piano, cello and piano,
# string quartet, melody and piano), which the Ardour cycles with two instances take turns
# to give their second.
ENSEMBLES = [1, 2, 3, 4]

PRESETS = ["-", "urn:pianola:preset:mozart-faithful", "-",
           "urn:pianola:preset:rachmaninoff-dense", "-",
           "urn:pianola:preset:schumann-intimate", "-",
           "urn:pianola:preset:mozart-adventurous", "-",
           "urn:pianola:preset:brahms-intermezzo-in-a", "-",
           "urn:pianola:preset:rachmaninoff-prelude-in-c-sharp-minor", "-",
           "urn:pianola:preset:mozart-sonatina-in-g"]


def jack_transport(env: dict, command: str) -> None:
    """Tells the JACK server's transport to play, stop or locate. A server held
    back by a loaded machine may not answer within the bound; the session then
    goes on as a user's would, and its checks tell whether the music suffered."""
    try:
        subprocess.run(["jack_transport"], input=command + "\n", env=env, timeout=10,
                       universal_newlines=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pass


def thread_stacks(pid: int) -> str:
    """Every thread's stack of a running process, through gdb; empty without it."""
    if not shutil.which("gdb"):
        return ""
    try:
        return subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 30"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                              universal_newlines=True, errors="replace").stdout
    except subprocess.TimeoutExpired:
        return ""


# The programs Debian's wrapper scripts run, for reading a core they leave.
WRAPPED_PROGRAMS = {"ardour7-export": "/usr/lib/ardour7/utils/ardour7-export",
                    "ardour7-lua": "/usr/lib/ardour7/utils/ardour7-lua"}


def allow_core_dumps() -> None:
    """In a host's process, before it starts: let a crash leave a core."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def crash_stacks(program: str, folder: str) -> str:
    """Every thread's stack from the core a crashed host left in `folder`
    (the kernel's core pattern permitting), through gdb; the core is removed."""
    cores = [os.path.join(folder, name) for name in os.listdir(folder)
             if name == "core" or name.startswith("core.")]
    if not cores:
        return "(no core file in %s: see /proc/sys/kernel/core_pattern)\n" % folder
    executable = WRAPPED_PROGRAMS.get(os.path.basename(program)) or shutil.which(program) \
        or program
    stacks = ""
    for core in cores:
        if shutil.which("gdb"):
            try:
                stacks += subprocess.run(
                    ["gdb", "-batch", "-ex", "thread apply all bt 30", executable, core],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                    universal_newlines=True, errors="replace").stdout
            except subprocess.TimeoutExpired:
                stacks += "(gdb took over 300 s on %s)\n" % core
        os.remove(core)
    return stacks


def jalv_lost_its_quit_signal(stacks: str) -> bool:
    """jalv 1.6's own race (docs/hardening.md): its console checks for a quit
    signal, then blocks reading the next line; a signal landing between the two
    is lost, and jalv waits for input with its main thread in fgets(). No
    thread is in Pianola's code."""
    main_thread = stacks.split("\nThread 1 ", 1)[-1] if "\nThread 1 " in stacks else ""
    return "_IO_fgets" in main_thread and "pianola" not in stacks


def ardour_export_start_hang(output: str) -> bool:
    """Ardour 7.3's own hang as an export starts (docs/hardening.md): the main
    thread waits in Butler::wait_until_finished() from start_audio_export()
    while the butler waits in butler_transport_work(), and no thread is in
    Pianola's code. It happens with Ardour's own FluidSynth plugin too."""
    return ("Butler::wait_until_finished" in output and "start_audio_export" in output
            and "butler_transport_work" in output and "pianola" not in output.split(
                "was killed", 1)[-1])


def ardour_port_clash(made: subprocess.CompletedProcess) -> bool:
    """Ardour 7.3's own fault as a session's tracks are added: the Dummy
    backend refuses the new track's ports as already registered, twice in a
    row, in a process that registered no such port (met with the reference
    instrument tests/midi-pulse.lv2 in about one session in 75)."""
    return made.returncode == 1 and "session-ready" not in made.stdout and \
        "Port already exists" in made.stdout and "could not add" in made.stdout


def ardour_fault(exported: subprocess.CompletedProcess) -> str:
    """Which of Ardour 7.3's own export faults a failed ardour7-export shows,
    if any: its export-start hang (told by the threads' stacks), or the heap
    corruption its headless exports meet with any plugin that has a MIDI
    output (glibc aborts after 'DummyMidiBuffer: it's too late' lines; the
    reference instrument tests/midi-pulse.lv2, which has no code but a
    note-on and a note-off a cycle, meets it in one export in nine). The
    same corruption, met before glibc checks it, crashes the export inside
    the allocator instead (crashed_in_the_allocator_outside_pianola)."""
    if exported.returncode == -signal.SIGKILL and ardour_export_start_hang(exported.stdout):
        return "export-start hang"
    if "it's too late for this event" not in exported.stdout:
        return ""
    if exported.returncode == -signal.SIGABRT and TROUBLE["heap"].search(exported.stdout):
        return "MIDI-out heap abort"
    if exported.returncode in (-signal.SIGSEGV, -signal.SIGBUS) and \
            crashed_in_the_allocator_outside_pianola(exported.stdout):
        return "MIDI-out heap crash"
    return ""


def crashed_in_the_allocator_outside_pianola(output: str) -> bool:
    """Whether a crashed host's core (crash_stacks) shows the same heap
    corruption glibc did not catch in time: the crashing thread died inside
    glibc's allocator (malloc.c: a free or malloc reading a chunk header
    already overwritten), and no thread of the process has a frame in
    Pianola's code."""
    core = output.split("the stacks of its core:", 1)
    if len(core) < 2 or "Program terminated with signal" not in core[1]:
        return False
    stacks = core[1].split("Program terminated with signal", 1)[1]
    first_frame = next((line for line in stacks.splitlines() if line.startswith("#0 ")), "")
    return "malloc.c" in first_frame and not re.search(r"pianola\.so|pianola_ui|\bpnl_", stacks)


class Soak:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.work_dir = tempfile.mkdtemp(prefix="pianola-soak-")
        self.env = dict(os.environ)
        if options.lv2_path:
            # Absolute: the hosts run in folders of their own.
            options.lv2_path = os.pathsep.join(os.path.abspath(folder) for folder in
                                               options.lv2_path.split(os.pathsep) if folder)
            self.env["LV2_PATH"] = options.lv2_path
        self.deadline = time.monotonic() + options.minutes * 60
        self.runs = {"ardour": 0, "jalv": 0, "ui": 0}
        self.failures = []  # (host, run number, kinds, log folder)
        self.valgrind_runs = 0
        self.valgrind_pianola_errors = 0
        self.host_faults = {}  # the hosts' own faults met (tried again), by kind
        self.rounding_differences = 0  # export pairs alike within BELOW_24_BIT only
        self.midi_too_late = 0  # Ardour's "DummyMidiBuffer: it's too late" lines
        os.makedirs(options.logs, exist_ok=True)

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline

    # ------------------------------------------------------------ reporting

    def record(self, host: str, number: int, kinds: list, logs: dict,
               keep: tuple = ()) -> None:
        """Counts a run; a failed one's logs (and the files in `keep`, such as
        exports that differ) go to a folder of the logs."""
        self.runs[host] += 1
        if not kinds:
            return
        folder = os.path.join(self.options.logs, "%s-%03d" % (host, number))
        os.makedirs(folder, exist_ok=True)
        for name, text in logs.items():
            with open(os.path.join(folder, name + ".log"), "w") as log:
                log.write(text)
        for path in keep:
            shutil.copy(path, folder)
        self.failures.append((host, number, kinds, folder))
        print("FAILED %s run %d: %s (logs in %s)" % (host, number, ", ".join(kinds), folder),
              flush=True)

    def summary(self, seconds: float) -> str:
        kinds = {}
        for _, _, failure_kinds, _ in self.failures:
            for kind in failure_kinds:
                kinds[kind] = kinds.get(kind, 0) + 1
        total = sum(self.runs.values())
        line = "soak: %d runs, %d failed (ardour %d, jalv %d, ui %d) in %.0f s" % (
            total, len(self.failures), self.runs["ardour"], self.runs["jalv"], self.runs["ui"],
            seconds)
        if kinds:
            line += "; failures by kind: " + ", ".join(
                "%s %d" % (kind, count) for kind, count in sorted(kinds.items()))
        if self.host_faults:
            line += "; the hosts' own faults met and got past: " + ", ".join(
                "%s %d" % (kind, count) for kind, count in sorted(self.host_faults.items()))
        if self.rounding_differences:
            line += "; export pairs differing only below 24-bit resolution: %d" \
                % self.rounding_differences
        if self.midi_too_late:
            line += "; Ardour's \"DummyMidiBuffer: it's too late\" lines: %d" % self.midi_too_late
        if self.valgrind_runs:
            line += "; under valgrind: %d runs, %d errors in Pianola's code" % (
                self.valgrind_runs, self.valgrind_pianola_errors)
        return line

    # --------------------------------------------------------------- checks

    @staticmethod
    def status_kinds(returncode: int, what: str) -> list:
        if returncode is None:
            return []
        if returncode == -signal.SIGKILL or returncode == 124:
            return ["%s hang" % what]
        if returncode < 0:
            return ["%s killed by %s" % (what, signal.Signals(-returncode).name)]
        if returncode != 0:
            return ["%s exit %d" % (what, returncode)]
        return []

    @staticmethod
    def output_kinds(text: str) -> list:
        return [kind for kind, pattern in TROUBLE.items() if pattern.search(text)]

    @staticmethod
    def valgrind_text(log_pattern: str) -> str:
        """What valgrind wrote for a host and the processes it exec'd (one log
        a process: the pattern's %p)."""
        folder, name = os.path.split(log_pattern)
        prefix, suffix = name.split("%p")
        texts = [open(os.path.join(folder, f), errors="replace").read()
                 for f in sorted(os.listdir(folder))
                 if f.startswith(prefix) and f.endswith(suffix)]
        return "\n".join(texts)

    def valgrind_kinds(self, log_pattern: str) -> list:
        """Errors valgrind found in Pianola's code (a frame in pianola.so or
        pianola_ui.so); the host's own are not Pianola's to fix."""
        text = self.valgrind_text(log_pattern)
        if "ERROR SUMMARY" not in text:
            return ["valgrind did not finish"]
        ours = 0
        blocks = re.split(r"\n==\d+== \n", text)
        for block in blocks:
            first = block.strip().splitlines()[0] if block.strip() else ""
            if re.search(r"Invalid (read|write|free)|Mismatched free|uninitialised|"
                         r"Source and destination overlap|Jump to the invalid", first) and \
                    re.search(r"pianola|\.\./(src|plugin|gui)/", block):
                ours += 1
        self.valgrind_runs += 1
        self.valgrind_pianola_errors += ours
        return ["valgrind: %d errors in Pianola's code" % ours] if ours else []

    # ------------------------------------------------------------- running

    def run(self, command: list, cwd: str, timeout_s: float, env=None,
            stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
        """A host in a process group of its own: a hang is killed with all it
        started, and comes back as killed by SIGKILL, its output ending with
        every thread's stack (when gdb is there) so the hang can be told."""
        process = subprocess.Popen(command, cwd=cwd, env=env or self.env, stdin=stdin,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True, errors="replace",
                                   start_new_session=True, preexec_fn=allow_core_dumps)
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stacks = thread_stacks(process.pid)
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            output += "\n%s did not finish within %d s and was killed\n%s" % (
                command[0], timeout_s, stacks)
            return subprocess.CompletedProcess(command, -signal.SIGKILL, output, None)
        if process.returncode in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS,
                                  -signal.SIGFPE, -signal.SIGILL):
            output += "\n%s was killed by %s; the stacks of its core:\n%s" % (
                command[0], signal.Signals(-process.returncode).name,
                crash_stacks(command[0], cwd))
        return subprocess.CompletedProcess(command, process.returncode, output, None)

    # -------------------------------------------------------------- Ardour

    def ardour_cycle(self, number: int) -> None:
        options = self.options
        under_valgrind = bool(options.valgrind_every) and number % options.valgrind_every == 0
        bars = min(options.bars, VALGRIND_BARS) if under_valgrind else options.bars
        bpm, beats_per_bar, note_value = METERS[number % len(METERS)]
        preset = PRESETS[number % len(PRESETS)] if options.plugin in SOUNDING_PIANOLAS else "-"
        instances = 1 + number % 2
        # Every other two-instance cycle: solo piano beside an ensemble.
        ensemble = ENSEMBLES[number // 4 % len(ENSEMBLES)] \
            if options.plugin in SOUNDING_PIANOLAS and number % 4 == 1 else 0
        folder = tempfile.mkdtemp(prefix="ardour-", dir=self.work_dir)
        session_dir, name = os.path.join(folder, "session"), "soak"
        logs, kinds, kept = {}, [], []
        command = ["ardour7-lua", SESSION_SCRIPT, session_dir, name, options.plugin,
                   str(bars), str(bpm), str(beats_per_bar), str(note_value),
                   str(instances), preset, str(number), str(ensemble)]
        made = self.run(command, folder, HOST_TIMEOUT_S)
        for _ in range(HOST_FAULT_RETRIES):
            if not ardour_port_clash(made):
                break
            # Ardour's own fault, met with the reference instrument too
            # (docs/hardening.md): counted, and the session made anew.
            self.host_faults["session port clash"] = \
                self.host_faults.get("session port clash", 0) + 1
            logs["session-port-clash"] = made.stdout
            shutil.rmtree(session_dir, ignore_errors=True)
            made = self.run(command, folder, HOST_TIMEOUT_S)
        logs["session"] = " ".join(made.args) + "\n" + made.stdout
        kinds += self.status_kinds(made.returncode, "ardour7-lua")
        kinds += self.output_kinds(made.stdout)
        if "session-ready" not in made.stdout:
            kinds.append("no session")
        else:
            if options.plugin in SOUNDING_PIANOLAS:
                kinds += self.vary_pianola_states(session_dir, number)
            exports = []
            for take in (1, 2):
                path = os.path.join(folder, "export%d.wav" % take)
                valgrind = take == 1 and under_valgrind
                command = ["ardour7-export", "-b", "float", "-o", path, session_dir, name]
                timeout_s = HOST_TIMEOUT_S
                if valgrind:
                    valgrind_log = os.path.join(folder, "valgrind.%p.log")
                    command = ["valgrind", "--trace-children=yes", "--num-callers=30",
                               "--fullpath-after=", "--error-limit=no",
                               "--log-file=" + valgrind_log] + command
                    timeout_s = VALGRIND_TIMEOUT_S
                exported = self.run(command, folder, timeout_s)
                for _ in range(HOST_FAULT_RETRIES):
                    fault = "" if valgrind else ardour_fault(exported)
                    if not fault:
                        break
                    # Ardour's own faults, not Pianola's (docs/hardening.md):
                    # counted, and the export tried again as a user would.
                    self.host_faults[fault] = self.host_faults.get(fault, 0) + 1
                    logs["export%d-%s" % (take, fault.replace(" ", "-"))] = exported.stdout
                    exported = self.run(command, folder, timeout_s)
                logs["export%d" % take] = exported.stdout
                self.midi_too_late += exported.stdout.count("it's too late for this event")
                kinds += self.status_kinds(exported.returncode, "ardour7-export")
                kinds += self.output_kinds(exported.stdout)
                if valgrind:
                    kinds += self.valgrind_kinds(valgrind_log)
                    logs["valgrind"] = self.valgrind_text(valgrind_log)
                if exported.returncode == 0 and os.path.exists(path):
                    exports.append(path)
                else:
                    kinds.append("export %d missing" % take)
            differ = self.compare_exports(exports) if len(exports) == 2 else []
            kinds += differ
            if differ:
                kept = exports
        if not kinds:
            shutil.rmtree(folder, ignore_errors=True)
        self.record("ardour", number, kinds, logs, kept)

    def vary_pianola_states(self, session_dir: str, number: int) -> list:
        """Every third cycle another SoundFont, every fourth a captured prompt:
        written into the saved states, as a user's session would hold them."""
        states = []
        for folder, _, files in os.walk(os.path.join(session_dir, "plugins")):
            states += [os.path.join(folder, f) for f in files if f == "state.ttl"]
        if not states:
            return ["no Pianola state saved"]
        for state in states:
            text = open(state).read()
            if number % 3 == 2 and self.options.soundfont:
                text, count = re.subn(r"(<urn:pianola:pianola#soundfont> )<[^>]*>",
                                      r"\1<%s>" % self.options.soundfont, text)
                if count != 1:
                    return ["no SoundFont in the saved state"]
            if number % 4 == 3 and self.prompt_state:
                text, count = re.subn(TIMELINE_ITEM, lambda _: self.prompt_state, text,
                                      flags=re.DOTALL)
                if count != 1:
                    return ["no timeline in the saved state"]
            with open(state, "w") as out:
                out.write(text)
        return []

    def compare_exports(self, paths: list) -> list:
        _, first = read_float_wav(paths[0])
        _, second = read_float_wav(paths[1])
        kinds = []
        # The reference instrument (tests/midi-pulse.lv2) plays silence.
        if self.options.plugin in SOUNDING_PIANOLAS and float(abs(first).max()) < 1e-3:
            kinds.append("silent export")
        if self.options.plugin not in SOUNDING_PIANOLAS:
            return kinds
        _, mismatch = ArdourHeadlessExport.aligned_mismatch(first, second)
        if mismatch and not ArdourHeadlessExport.aligned_mismatch(
                first, second, BELOW_24_BIT)[1]:
            # The same music: a float rounding in the mix, far below what a
            # 24-bit file (or an ear) holds. Counted, not a failure.
            self.rounding_differences += 1
        elif mismatch:
            kinds.append("exports differ: " + mismatch)
        return kinds

    # ---------------------------------------------------------------- jalv

    def jalv_session(self, jack: JackSession, number: int) -> None:
        """One session in jalv, as a user drives it; the quit varies."""
        client = "pianola-soak-%d" % number
        name = "jalv-%d" % number
        command_line = ["jalv", "-x", "-n", client, self.options.plugin]
        valgrind_log = ""
        if self.options.valgrind_every and number % self.options.valgrind_every == 0:
            valgrind_log = os.path.join(jack.work_dir, name + "-valgrind.%p.log")
            command_line = ["valgrind", "--num-callers=30", "--error-limit=no",
                            "--fullpath-after=", "--log-file=" + valgrind_log] + command_line
        jalv = jack.start(name, command_line, stdin=subprocess.PIPE)
        kinds = []

        def command(line: str) -> None:
            try:
                jalv.stdin.write((line + "\n").encode())
                jalv.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

        def transport(line: str) -> None:
            jack_transport(jack.env, line)

        started = self.wait_for_ports(jack, client, jalv, 120 if valgrind_log else 40)
        if not started:
            kinds.append("jalv registered no ports")
        else:
            pianola = self.options.plugin in SOUNDING_PIANOLAS + (PIANOLA_MIDI_URI,)
            transport("locate 0")
            transport("play")
            time.sleep(1.0 + (number % 3) * 0.5)
            if pianola:
                command("set temperature %.2f" % (0.3 + (number % 7) * 0.2))
                command("set composer %d" % (number % 5))
                command("set seed %d" % number)
                command("set ensemble %d" % (number % 5))
            time.sleep(0.5)
            transport("locate %d" % (SAMPLE_RATE * (number % 40)))
            time.sleep(0.5)
            transport("stop")
            time.sleep(0.3)
            transport("play")
            if pianola:
                command("set reroll 1")
            how = number % 4
            if how != 3:
                time.sleep(1.0)
                if pianola:
                    command("set reroll 0")
        # Quit: right after a re-roll (mid-compose) now and then, else after a
        # moment; by ending jalv's input (a console user's quit) or a signal.
        how = number % 4
        if how == 0 or how == 3:
            jalv.stdin.close()
        else:
            os.killpg(jalv.pid, signal.SIGINT if how == 1 else signal.SIGTERM)
        stacks = ""
        try:
            jalv.wait(timeout=QUIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stacks = thread_stacks(jalv.pid)  # what it hangs in, before it goes
            if how in (1, 2) and jalv_lost_its_quit_signal(stacks):
                # jalv's own fault: counted, and its input ended as a user would.
                self.host_faults["jalv lost its quit signal"] = \
                    self.host_faults.get("jalv lost its quit signal", 0) + 1
                jalv.stdin.close()
                try:
                    jalv.wait(timeout=QUIT_TIMEOUT_S)
                    stacks = ""
                except subprocess.TimeoutExpired:
                    jack.stop(jalv, signal.SIGKILL)
            else:
                jack.stop(jalv, signal.SIGKILL)
        transport("stop")
        output = jack.log(name) + stacks
        if jalv.returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
            kinds += self.status_kinds(jalv.returncode, "jalv") or ["jalv exit %s"
                                                                     % jalv.returncode]
        kinds += self.output_kinds(output)
        logs = {"jalv": output, "jackd": jack.log("jackd")[-20000:]}
        if valgrind_log:
            kinds += self.valgrind_kinds(valgrind_log)
            logs["valgrind"] = self.valgrind_text(valgrind_log)
        self.record("jalv", number, kinds, logs)
        os.remove(os.path.join(jack.work_dir, name + ".log"))

    @staticmethod
    def wait_for_ports(jack: JackSession, client: str, process: subprocess.Popen,
                       timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            if any(name.startswith(client + ":") for name in jack.ports()):
                return True
            time.sleep(0.2)
        return False

    # ------------------------------------------------------------------ UI

    def ui_session(self, display: str, jack_env: dict, number: int) -> None:
        """jalv.gtk3 with Pianola's UI: open, play, close the window (as a
        person would), open again, play, quit."""
        kinds, logs = [], {}
        title = {PIANOLA_MIDI_URI: b"Pianola (MIDI)", PIANOLA_PARTS_URI: b"Pianola (parts)"}.get(
            self.options.plugin, b"Pianola")
        for opening in (1, 2):
            with tempfile.TemporaryFile(mode="w+") as output:
                jalv = subprocess.Popen(["jalv.gtk3", self.options.plugin],
                                        env=dict(jack_env, DISPLAY=display, NO_AT_BRIDGE="1"),
                                        stdout=output, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
                deadline, shown = time.monotonic() + 20, 0
                while time.monotonic() < deadline and jalv.poll() is None and not shown:
                    time.sleep(0.3)
                    shown = find_pianola_window(display, title)[1]
                jack_transport(jack_env, "play")
                time.sleep(2.0)
                if not shown:
                    kinds.append("no window (opening %d)" % opening)
                if jalv.poll() is None:
                    close_x_window(display, find_pianola_window(display, title)[0])
                    try:
                        jalv.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        os.killpg(jalv.pid, signal.SIGINT)
                        try:
                            jalv.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            os.killpg(jalv.pid, signal.SIGKILL)
                            jalv.wait()
                jack_transport(jack_env, "stop")
                output.seek(0)
                text = output.read()
                logs["opening%d" % opening] = text
                if jalv.returncode not in (0, -signal.SIGINT):
                    kinds += self.status_kinds(jalv.returncode, "jalv.gtk3")
                kinds += self.output_kinds(text)
        self.record("ui", number, kinds, logs)

    # ---------------------------------------------------------------- main

    def prepare_prompt(self) -> None:
        """A captured phrase as Pianola saves it, made by the plugin itself:
        pianola-render captures a phrase, composes on, and saves the state it
        ends with; its timeline (the phrase and what followed) and the
        settings it was composed with go into Ardour sessions' states."""
        self.prompt_state = ""
        if self.options.plugin not in SOUNDING_PIANOLAS or not shutil.which("pianola-render", path=(
                self.env.get("PATH"))):
            return
        phrase = os.path.join(self.work_dir, "phrase.mid")
        write_midi_file(phrase, [(0, 0.5, 67, 80), (0.5, 0.5, 64, 72), (1, 0.5, 60, 70),
                                 (1.5, 0.5, 64, 72), (2, 1, 67, 84), (3, 1, 72, 90),
                                 (4, 2, 71, 76), (6, 2, 67, 70)])
        state = os.path.join(self.work_dir, "prompt-state.ttl")
        rendered = self.run(["pianola-render", "--prompt", phrase, "--bars", "3", "-o",
                             os.path.join(self.work_dir, "prompt.wav"), "--save-state", state],
                            self.work_dir, HOST_TIMEOUT_S)
        if rendered.returncode == 0 and os.path.exists(state):
            text = open(state).read()
            items = [re.search(pattern, text, re.DOTALL) for pattern in (TIMELINE_ITEM,
                                                                          SETTINGS_ITEM)]
            if all(items):
                self.prompt_state = items[0].group(0) + " ;\n\t\t" + items[1].group(0)
        if not self.prompt_state:
            print("soak: no captured prompt to vary (pianola-render --save-state failed: %s)"
                  % rendered.stdout.strip()[-300:], flush=True)

    def main(self) -> int:
        """Runs the hosts in turn (an Ardour cycle, a jalv session, a UI
        session, then again), so a soak cut short by --minutes has soaked
        every host."""
        started = time.monotonic()
        options = self.options
        self.prepare_prompt()
        jack, xvfb, display = None, None, ""
        try:
            if options.jalv or options.ui:
                jack = JackSession(self.work_dir, options.lv2_path or "")
                if not options.lv2_path:  # the hosts' own default path
                    jack.env.pop("LV2_PATH", None)
                    if "LV2_PATH" in self.env:
                        jack.env["LV2_PATH"] = self.env["LV2_PATH"]
            if options.ui:
                xvfb, display = start_xvfb()
            for number in range(max(options.ardour, options.jalv, options.ui)):
                if number < options.ardour and self.time_left():
                    self.ardour_cycle(number)
                if number < options.jalv and self.time_left():
                    self.jalv_session(jack, number)
                if number < options.ui and self.time_left():
                    self.ui_session(display, jack.env, number)
                if jack and jack.server.poll() is not None:
                    self.record("jalv", number, ["jackd died"], {"jackd": jack.log("jackd")})
                    break
                if not self.time_left():
                    break
        finally:
            if jack:
                jack.close()
            if xvfb:
                xvfb.terminate()
                xvfb.wait()
            shutil.rmtree(self.work_dir, ignore_errors=True)
        print(self.summary(time.monotonic() - started), flush=True)
        return 1 if self.failures else 0


def parse_options(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ardour", type=int, default=200, metavar="N",
                        help="Ardour cycles (session, export, reload, export) [200]")
    parser.add_argument("--jalv", type=int, default=200, metavar="N",
                        help="jalv sessions on a dummy JACK server [200]")
    parser.add_argument("--ui", type=int, default=20, metavar="N",
                        help="jalv.gtk3 sessions, each opening the UI twice [20]")
    parser.add_argument("--bars", type=int, default=8, help="bars in each Ardour session [8]")
    parser.add_argument("--valgrind-every", type=int, default=0, metavar="K",
                        help="run every K-th Ardour cycle's first export (its session at "
                             "most %d bars), and every K-th jalv session, under valgrind"
                             % VALGRIND_BARS)
    parser.add_argument("--minutes", type=float, default=180,
                        help="stop starting runs after this long [180]")
    parser.add_argument("--logs", default="soak-logs",
                        help="where the logs of failed runs are kept [soak-logs]")
    parser.add_argument("--plugin", default=PIANOLA_URI,
                        help="the plugin to soak; urn:ardour:a-fluidsynth tells a host's "
                             "faults from Pianola's [Pianola]")
    parser.add_argument("--lv2-path", default=os.environ.get("LV2_PATH", ""),
                        help="LV2_PATH for the hosts [the environment's, else the hosts' "
                             "default: ~/.lv2 and the system's]")
    parser.add_argument("--soundfont", default="/usr/share/sounds/sf2/TimGM6mb.sf2",
                        help="the other SoundFont some cycles use")
    options = parser.parse_args(argv)
    if options.soundfont and not os.path.exists(options.soundfont):
        options.soundfont = ""
    return options


if __name__ == "__main__":
    sys.exit(Soak(parse_options(sys.argv[1:])).main())
