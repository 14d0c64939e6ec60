"""Replays the fuzz targets' kept inputs: every seed-corpus file
(tests/fuzz/corpus/<target>/) and every fixed crash reproducer
(tests/fuzz/reproducers/<target>/) goes once through its target, built with
AddressSanitizer and UndefinedBehaviorSanitizer by tools/fuzz.sh, so an input
that once found a bug keeps proving it fixed. Inputs of findings not yet fixed
wait in tests/fuzz/known-crashes/ and are not replayed (docs/hardening.md).

Skips when clang or its runtime libraries (Debian's libclang-rt-14-dev) are
missing."""
import os
import shutil
import subprocess
import unittest

SOURCE = os.environ.get("PIANOLA_SRC", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE, "build"))
FUZZ = os.path.join(SOURCE, "tests", "fuzz")
OUT = os.path.join(BUILD, "fuzz")


def missing_tools() -> str:
    """Why the fuzz targets cannot be built here, or '' when they can."""
    if not shutil.which("clang"):
        return "clang is not installed (apt-get install clang libclang-rt-14-dev)"
    runtime = subprocess.run(["clang", "-print-file-name=libclang_rt.fuzzer-x86_64.a"],
                             stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    if not os.path.isabs(runtime) or not os.path.exists(runtime):
        return "clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev)"
    return ""


def kept_inputs(target: str) -> list:
    paths = []
    for folder in ("corpus", "reproducers"):
        directory = os.path.join(FUZZ, folder, target)
        if os.path.isdir(directory):
            paths += [os.path.join(directory, name) for name in sorted(os.listdir(directory))]
    return [path for path in paths if os.path.isfile(path)]


TARGETS = sorted(name[:-2] for name in os.listdir(FUZZ)
                 if name.startswith("fuzz_") and name.endswith(".c"))


class FuzzReproducers(unittest.TestCase):
    build_error = ""

    @classmethod
    def setUpClass(cls) -> None:
        cls.skip_reason = missing_tools()
        if cls.skip_reason:
            return
        process = subprocess.run(["sh", os.path.join(SOURCE, "tools", "fuzz.sh"), "--out", OUT,
                                  "--build-only"] + TARGETS,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 universal_newlines=True)
        if process.returncode != 0:
            cls.build_error = process.stdout[-3000:]

    def replay(self, target: str) -> None:
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        self.assertEqual(self.build_error, "", "tools/fuzz.sh could not build the targets")
        inputs = kept_inputs(target)
        self.assertTrue(inputs, "expected seed inputs in tests/fuzz/corpus/%s, found none" % target)
        env = dict(os.environ)
        env["UBSAN_OPTIONS"] = ("halt_on_error=1:print_stacktrace=1:suppressions=" +
                                os.path.join(FUZZ, "known-crashes", "ubsan.supp"))
        env["ASAN_OPTIONS"] = "detect_leaks=1"
        process = subprocess.run([os.path.join(OUT, "bin", target), "-timeout=20"] + inputs,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 universal_newlines=True, env=env)
        executed = [line for line in process.stdout.splitlines() if line.startswith("Executed ")]
        self.assertEqual(process.returncode, 0,
                         "expected %s to run its %d kept inputs cleanly; it exited with %d:\n%s"
                         % (target, len(inputs), process.returncode, process.stdout[-4000:]))
        self.assertEqual(len(executed), len(inputs),
                         "expected %s to execute %d inputs, it executed %d"
                         % (target, len(inputs), len(executed)))


def add_test(target: str) -> None:
    def test(self) -> None:
        self.replay(target)
    test.__name__ = "test_%s_runs_its_kept_inputs_without_a_finding" % target
    setattr(FuzzReproducers, test.__name__, test)


for _target in TARGETS:
    add_test(_target)

if __name__ == "__main__":
    unittest.main()
