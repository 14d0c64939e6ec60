"""The transformer's figures for `./waf bench`: its step at an empty and a full window, FLOPs and
bytes (weights and cache) per event, the roofline and the ratio to it (tests/bench_transformer,
on the same file), PyTorch's step on the same weights, the engine's CPU per bar, and the render
speed of the plugin composing with it.

The model is made here for the bench and never committed: train.transformer.PianolaTransformer
with PyTorch's initialisation (4 blocks of 192, 4 heads, feed-forward 768, a window of 1,024
tokens, the plugin's composers; 2.0M parameters), exported to a temporary file. Untrained, it
draws among the tokens the grammar allows almost evenly, so its music is denser than a trained
network's: the per-bar and render figures are an upper bound on the cost of composing.

CPU per bar: `pianola-generate` (the engine the plugin's worker runs, int8 by default, bar by
bar) composing 33 bars less composing 1, over 32. Render speed: `pianola-render` on a copy of
the built bundle whose models/pianola.pnm is this transformer, 64 bars at 120 BPM, from the
CPU time the render took (what one core can do). Prints `name: value unit` lines."""
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_render import RENDER, codec_signature, lv2_environment  # noqa: E402

from train.data import offered_composers  # noqa: E402
from train.export import write_weights  # noqa: E402
from train.transformer import PianolaTransformer  # noqa: E402

SOURCE = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE, "build"))
BARS = 64
BEATS_PER_MINUTE = 120
TAIL_SECONDS = 2


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cpu_seconds(command, env=None) -> float:
    before = children_cpu_seconds()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return children_cpu_seconds() - before


def torch_full_window_microseconds(model: PianolaTransformer, steps: int = 100) -> float:
    """PyTorch's step (batch 1, one thread, its keys and values kept) on a full window."""
    torch.set_num_threads(1)
    model.eval()
    with torch.no_grad():
        composer = torch.tensor([0])
        _, state = model(torch.randint(0, model.vocab_size, (1, model.context - 1)), composer)
        started = time.thread_time()
        for step in range(steps):
            _, state = model.step(torch.tensor([(step * 37) % model.vocab_size]), composer,
                                  state)
        return (time.thread_time() - started) / steps * 1e6


def transformer_bundle(work: str, model_path: str) -> str:
    """An LV2 directory holding a copy of the built bundle (links) with this model."""
    built = os.path.join(BUILD, "pianola.lv2")
    lv2_dir = os.path.join(work, "lv2")
    bundle = os.path.join(lv2_dir, "pianola.lv2")
    os.makedirs(os.path.join(bundle, "models"))
    for name in os.listdir(built):
        if name != "models":
            os.symlink(os.path.join(built, name), os.path.join(bundle, name))
    shutil.copy(model_path, os.path.join(bundle, "models", "pianola.pnm"))
    return lv2_dir


class BenchTransformer(unittest.TestCase):
    def test_transformer_figures(self) -> None:
        work = tempfile.mkdtemp(prefix="pianola-bench-transformer-")
        try:
            signature, vocab_size = codec_signature()
            composers = list(offered_composers().choices)
            torch.manual_seed(11)
            model = PianolaTransformer(vocab_size, len(composers), 192, 4, 4, context=1024,
                                       feed_forward=768)
            path = os.path.join(work, "bench.pnm")
            write_weights(model, path, signature, composers)
            print("# model: untrained transformer, 4 blocks of 192, 4 heads, feed-forward "
                  "768, context 1024, %.2fM parameters, %d bytes"
                  % (sum(p.numel() for p in model.parameters()) / 1e6, os.path.getsize(path)),
                  flush=True)

            out = subprocess.run([os.path.join(BUILD, "tests", "bench_transformer"), "--model",
                                  path], check=True, capture_output=True, text=True).stdout
            sys.stdout.write("".join(line + "\n" for line in out.splitlines()
                                     if not line.startswith("# model")))
            c_full = float(re.search(r"transformer_step_full: ([0-9.]+) us", out).group(1))
            torch_us = torch_full_window_microseconds(model)
            print("transformer_step_full_pytorch: %.1f us" % torch_us)
            print("transformer_speedup_vs_pytorch_full: %.2f x" % (torch_us / c_full),
                  flush=True)

            generate = os.path.join(BUILD, "pianola-generate")
            for composer in ("mozart", "rachmaninoff"):
                seconds = {}
                for bars in (1, 33):
                    seconds[bars] = run_cpu_seconds(
                        [generate, "--model", path, "--composer", composer, "--bars", str(bars),
                         "--seed", "1", "-q", "-o", os.path.join(work, "bench.mid")])
                print("transformer_composing_cpu_%s: %.2f ms per bar (the engine, int8)"
                      % (composer, 1000.0 * (seconds[33] - seconds[1]) / 32), flush=True)

            env = lv2_environment(transformer_bundle(work, path))
            wav = os.path.join(work, "bench.wav")
            run_cpu_seconds([RENDER, "-o", wav, "--bars", "1"], env)  # caches warm
            audio_s = BARS * 4 * 60.0 / BEATS_PER_MINUTE + TAIL_SECONDS
            for composer in ("mozart", "rachmaninoff"):
                cpu_s = run_cpu_seconds(
                    [RENDER, "-o", wav, "--bars", str(BARS), "--tempo", str(BEATS_PER_MINUTE),
                     "--tail", str(TAIL_SECONDS), "--seed", "1", "--composer", composer], env)
                print("transformer_render_speed_%s: %.1f x_realtime (%d bars, %.2f s CPU)"
                      % (composer, audio_s / cpu_s, BARS, cpu_s), flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
