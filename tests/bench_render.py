"""Offline render speed of pianola-render, generation included: the plugin
composes on its worker (run synchronously, as when exporting) and FluidSynth
renders, all on one thread. Prints the speed as a multiple of real time,
from the CPU time the render took (what one core can do, whatever else the
machine is running) and from the wall-clock time.

The goal (issue 7) is at least 50x real time on one core.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_render import (MODEL_IN_BUNDLE, PLUGIN_SOURCE, RENDER,  # noqa: E402
                         lv2_environment, pianola_lv2_dir)

BARS = 64
BEATS_PER_MINUTE = 120
TAIL_SECONDS = 2


@unittest.skipUnless(os.path.exists(PLUGIN_SOURCE), "the plugin is not in this tree yet")
class RenderSpeed(unittest.TestCase):
    def test_render_speed(self) -> None:
        work_dir = tempfile.mkdtemp(prefix="pianola-bench-render-")
        try:
            lv2_dir = pianola_lv2_dir(work_dir)
            env = lv2_environment(lv2_dir)
            bundle = os.path.join(lv2_dir, "pianola.lv2")
            model = "bundled" if os.path.islink(bundle) else "random test"
            model_bytes = os.path.getsize(os.path.join(lv2_dir, "pianola.lv2", MODEL_IN_BUNDLE))
            # One render first, so the SoundFont and the model are in the page cache.
            subprocess.run([RENDER, "-o", os.path.join(work_dir, "bench.wav"), "--bars", "1"],
                           env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
            audio_s = BARS * 4 * 60.0 / BEATS_PER_MINUTE + TAIL_SECONDS
            print("# %d bars at %d BPM (%.0f s of audio) with the %s model (%d bytes)"
                  % (BARS, BEATS_PER_MINUTE, audio_s, model, model_bytes))
            # Mozart, and Rachmaninoff's denser music (more notes a bar to
            # compose and to sound).
            for composer, suffix in (("mozart", ""), ("rachmaninoff", "_rachmaninoff")):
                command = [RENDER, "-o", os.path.join(work_dir, "bench.wav"), "--bars",
                           str(BARS), "--tempo", str(BEATS_PER_MINUTE), "--tail",
                           str(TAIL_SECONDS), "--seed", "1", "--composer", composer]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.monotonic()
                result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, universal_newlines=True)
                wall_s = time.monotonic() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                self.assertEqual(result.returncode, 0,
                                 "pianola-render failed: %s" % result.stderr)
                cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                print("render_speed%s: %.1f x_realtime" % (suffix, audio_s / cpu_s))
                print("render_speed%s_wall: %.1f x_realtime" % (suffix, audio_s / wall_s))
                print("render_cpu%s: %.2f s" % (suffix, cpu_s))
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
