"""The host soak's short form (tests/soak.py): four Ardour export cycles (one
each with a preset, two instances (the second composing for violin and piano),
another SoundFont and a captured phrase in the saved state), four jalv
sessions (each with another ensemble) and a UI opened twice, of the built
bundle, every one of them free of aborts, heap and sanitizer reports and
FluidSynth errors. The long soak runs
hundreds of each (`python3 tests/soak.py`, see docs/hardening.md)."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402
from test_render import pianola_lv2_dir  # noqa: E402

HOSTS = ("ardour7-lua", "ardour7-export", "jackd", "jalv", "jalv.gtk3", "jack_transport",
         "Xvfb")


def log_tails(folder: str, lines: int = 25) -> str:
    """The last lines of each log a failed run kept: the folder goes with the test's
    work folder, and a failure on a machine of its own must say what happened."""
    text = ""
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if name.endswith(".log"):
            with open(os.path.join(folder, name), errors="replace") as log:
                tail = log.read().splitlines()[-lines:]
            text += "  --- %s (last %d lines)\n" % (name, len(tail)) + \
                "".join("  %s\n" % line for line in tail)
    return text


class ShortSoak(unittest.TestCase):
    def test_hosts_survive_a_short_soak(self) -> None:
        missing = [host for host in HOSTS if shutil.which(host) is None]
        self.assertEqual(missing, [], "tools/install-deps.sh installs these hosts")
        work_dir = tempfile.mkdtemp(prefix="pianola-short-soak-")
        try:
            options = soak.parse_options([
                "--ardour", "4", "--jalv", "4", "--ui", "1", "--bars", "4", "--minutes", "20",
                "--logs", os.path.join(work_dir, "logs"),
                "--lv2-path", pianola_lv2_dir(work_dir) + ":/usr/lib/lv2"])
            run = soak.Soak(options)
            status = run.main()
            self.assertTrue(run.prompt_state, "pianola-render --save-state gave no captured "
                            "phrase for the fourth Ardour cycle's session")
            failures = "\n".join("%s run %d: %s\n%s" % (host, number, ", ".join(kinds),
                                                        log_tails(folder))
                                 for host, number, kinds, folder in run.failures)
            self.assertEqual(status, 0, "the short soak failed (the hosts' own faults met "
                             "and tried again: %s):\n%s" % (run.host_faults or "none", failures))
            self.assertEqual(sum(run.runs.values()), 9, "expected every run to happen: %s"
                             % run.runs)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
