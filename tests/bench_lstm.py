"""PyTorch's time per token on the same weights as the C engine, and the C engine's speedup.

Batch 1, one thread, one token at a time (as generation runs: each token needs the one
before it), through train.model.PianolaLSTM.step under torch.no_grad(), timed in this
thread's CPU time (the machine is shared; PyTorch computes on the calling thread with one
thread), as the C benchmark is. The weights are the
bundled models/pianola.pnm, else a random model of the training default's size; the C figure
comes from tests/bench_lstm --step-only on the very same file (float32, and the int8
matrices of PNL_PRECISION_INT8). Prints `name: value unit`
lines (`./waf bench`)."""
import os
import re
import subprocess
import tempfile
import time
import unittest

import torch

from train.codec import vocabulary
from train.export import read_weights, write_weights
from train.model import PianolaLSTM

SOURCE = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE, "build"))


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def torch_step_microseconds(model: PianolaLSTM, batches: int = 7, steps: int = 200) -> float:
    torch.set_num_threads(1)
    model.eval()
    vocab = model.vocab_size
    composer = torch.tensor([0])
    times = []
    with torch.no_grad():
        state = None
        for warm in range(50):
            _, state = model.step(torch.tensor([warm % vocab]), composer, state)
        for _ in range(batches):
            start = time.thread_time()
            for s in range(steps):
                _, state = model.step(torch.tensor([(s * 37) % vocab]), composer, state)
            times.append((time.thread_time() - start) / steps * 1e6)
    return median(times)


def torch_sequence_microseconds(model: PianolaLSTM, length: int = 500) -> float:
    """Per token when a whole known sequence goes through at once (scoring, not generating)."""
    torch.set_num_threads(1)
    tokens = torch.randint(0, model.vocab_size, (1, length))
    times = []
    with torch.no_grad():
        for _ in range(5):
            start = time.thread_time()
            model(tokens, torch.tensor([0]))
            times.append((time.thread_time() - start) / length * 1e6)
    return median(times)


class BenchLstm(unittest.TestCase):
    def test_c_against_pytorch_on_the_same_weights(self) -> None:
        bundled = os.path.join(SOURCE, "models", "pianola.pnm")
        with tempfile.TemporaryDirectory() as scratch:
            if os.path.exists(bundled):
                path = bundled
                model, _ = read_weights(path)
                print("# model: %s" % path)
            else:
                vocab = vocabulary(os.path.join(BUILD, "pianola-tokenize"))
                torch.manual_seed(1)
                model = PianolaLSTM(len(vocab), len(vocab.composers), 128, 384, 2)
                path = os.path.join(scratch, "bench.pnm")
                write_weights(model, path, vocab.signature, vocab.composers)
                print("# model: random, 2 layers, hidden 384, embedding 128")
            torch_us = torch_step_microseconds(model)
            sequence_us = torch_sequence_microseconds(model)
            out = subprocess.run([os.path.join(BUILD, "tests", "bench_lstm"), "--model", path,
                                  "--step-only"], check=True, capture_output=True,
                                 text=True).stdout
        c_us = float(re.search(r"lstm_step_c: ([0-9.]+) us", out).group(1))
        int8_us = float(re.search(r"lstm_step_c_int8: ([0-9.]+) us", out).group(1))
        print("lstm_step_pytorch: %.1f us" % torch_us)
        print("tokens_per_second_pytorch: %.0f tokens/s" % (1e6 / torch_us))
        print("lstm_sequence_pytorch: %.1f us" % sequence_us)
        print("lstm_step_c_same_weights: %.1f us" % c_us)
        print("speedup_vs_pytorch: %.2f x" % (torch_us / c_us))
        print("lstm_step_c_int8_same_weights: %.1f us" % int8_us)
        print("speedup_vs_pytorch_int8: %.2f x" % (torch_us / int8_us), flush=True)


if __name__ == "__main__":
    unittest.main()
