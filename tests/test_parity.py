"""The C engine computes PyTorch's logits: for a 500-token sequence, every logit the C LSTM
gives (through `pianola-score --dump-logits`) matches train.model.PianolaLSTM's within 1e-4
(float32) at every step, for a seeded random model of the training default's size and for
the bundled models/pianola.pnm when it exists. The same holds over 1,024 tokens for a small
transformer (train.transformer.PianolaTransformer) whose window of 256 tokens fills and then
slides, so the cache's ring and the window's edge are both compared.

The sequence is the codec's encoding of a Mozart sonata movement from the corpus (or, without
a corpus, a piece pianola-generate composes); the C program prints the token ids it fed, and
PyTorch runs those same ids."""
import os
import subprocess
import tempfile
import unittest
from typing import List, Tuple

import numpy as np
import torch

from train.codec import vocabulary
from train.export import read_weights, write_weights
from train.model import (DENSITY_FIRST_TOKEN, DENSITY_STEPS, PART_FIRST_TOKEN, PART_ROLES,
                         PianolaLSTM)
from train.train import vocabulary_prefix_signature
from train.transformer import PianolaTransformer

SOURCE = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE, "build"))
CORPUS = os.environ.get("PIANOLA_CORPUS", os.path.join(SOURCE, "..", "shared", "corpus"))
TOKENS = 500
TOLERANCE = 1e-4


def program(name: str) -> str:
    return os.path.join(BUILD, "pianola-" + name)


def codec() -> Tuple[int, int]:
    lines = subprocess.run([program("score"), "--codec"], check=True, capture_output=True,
                           text=True).stdout.split("\n")
    fields = dict(line.split() for line in lines if line.strip())
    return int(fields["signature"], 16), int(fields["vocab_size"])


def c_logits(model_path: str, midi_path: str, composer: str,
             tokens: int = TOKENS) -> Tuple[List[int], np.ndarray]:
    """The tokens the C engine fed and its logits after each, [steps, V]."""
    out = subprocess.run([program("score"), "--model", model_path, "--composer", composer,
                          "--dump-logits", "--max-tokens", str(tokens), midi_path],
                         check=True, capture_output=True, text=True).stdout
    tokens, rows = [], []
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        fields = line.split()
        tokens.append(int(fields[1]))
        rows.append(np.array(fields[2:], dtype=np.float64))
    return tokens, np.stack(rows)


def torch_logits(model, tokens: List[int], composer: int) -> np.ndarray:
    model.eval()
    torch.set_num_threads(1)
    with torch.no_grad():
        logits, _ = model(torch.tensor([tokens], dtype=torch.int64),
                          torch.tensor([composer], dtype=torch.int64))
    return logits[0].double().numpy()


class LogitParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = tempfile.TemporaryDirectory()
        cls.vocab = vocabulary(program("tokenize"))
        cls.signature, cls.vocab_size = codec()
        cls.piece = os.path.join(CORPUS, "piano-midi.de", "mozart", "mz_545_1.mid")
        if not os.path.exists(cls.piece):
            cls.piece = None

    @classmethod
    def tearDownClass(cls) -> None:
        cls.scratch.cleanup()

    def sequence_for(self, model_path: str) -> str:
        if self.piece:
            return self.piece
        path = os.path.join(self.scratch.name, "sequence.mid")
        subprocess.run([program("generate"), "--model", model_path, "--bars", "100", "--seed",
                        "5", "-q", "-o", path], check=True)
        return path

    def assert_parity(self, model, model_path: str, composer: str,
                      composers: List[str] = None, steps: int = TOKENS,
                      sequence: str = "") -> None:
        composer_class = (composers or self.vocab.composers).index(composer)
        tokens, from_c = c_logits(model_path, sequence or self.sequence_for(model_path),
                                  composer, steps)
        self.assertEqual(len(tokens), steps, "the C engine ran %d steps, expected %d"
                         % (len(tokens), steps))
        from_torch = torch_logits(model, tokens, composer_class)
        self.assertEqual(from_c.shape, from_torch.shape)
        error = np.abs(from_c - from_torch)
        worst_step = int(np.argmax(error.max(axis=1)))
        print("# %s, %s: max |C - PyTorch| = %.3g over %d steps x %d logits (worst at step %d)"
              % (os.path.basename(model_path), composer, error.max(), len(tokens),
                 from_c.shape[1], worst_step), flush=True)
        self.assertLess(error.max(), TOLERANCE,
                        "step %d: C and PyTorch logits differ by %.3g (tolerance %g)"
                        % (worst_step, error.max(), TOLERANCE))

    def test_engine_and_tokenizer_speak_one_vocabulary(self) -> None:
        self.assertEqual((self.signature, self.vocab_size),
                         (self.vocab.signature, len(self.vocab)),
                         "pianola-score --codec and pianola-tokenize --vocab disagree on the "
                         "vocabulary")

    def test_random_model_logits_match_pytorch_at_every_step(self) -> None:
        torch.manual_seed(1234)
        model = PianolaLSTM(self.vocab_size, len(self.vocab.composers), 128, 384, 2)
        # Larger weights than PyTorch's default initialisation, so the gates saturate and
        # the cell state grows as in a trained network.
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.mul_(3.0)
        path = os.path.join(self.scratch.name, "random.pnm")
        write_weights(model, path, self.signature, self.vocab.composers)
        self.assert_parity(model, path, "mozart")
        self.assert_parity(model, path, "romantic")

    def test_density_conditioned_model_logits_match_pytorch_at_every_step(self) -> None:
        """A network that hears the density step at every step: the sequence holds DENSITY
        tokens, and the rows they select (and row 0 before them) match."""
        if self.vocab_size < DENSITY_FIRST_TOKEN + DENSITY_STEPS:
            self.skipTest("the codec has no DENSITY tokens")
        torch.manual_seed(2468)
        model = PianolaLSTM(self.vocab_size, len(self.vocab.composers), 64, 96, 2, density=True)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.mul_(3.0)
            model.density_embedding.weight[0].zero_()
        path = os.path.join(self.scratch.name, "density.pnm")
        write_weights(model, path, self.signature, self.vocab.composers)
        tokens, _ = c_logits(path, self.sequence_for(path), "mozart")
        steps = {t - DENSITY_FIRST_TOKEN for t in tokens
                 if DENSITY_FIRST_TOKEN <= t < DENSITY_FIRST_TOKEN + DENSITY_STEPS}
        self.assertGreaterEqual(len(steps), 2, "the sequence's DENSITY steps: %s" % steps)
        self.assert_parity(model, path, "mozart")

    def test_parts_conditioned_model_logits_match_pytorch_at_every_step(self) -> None:
        """A network that hears the parts in force at every step: a string quartet's file
        declares four roles, and the rows of the parts heard so far match at every step."""
        if self.vocab_size < PART_FIRST_TOKEN + PART_ROLES:
            self.skipTest("the codec has no PART tokens")
        quartet = os.path.join(self.scratch.name, "quartet.mid")
        subprocess.run([program("generate"), "--ensemble", "string_quartet", "--bars", "24",
                        "--seed", "3", "-q", "-o", quartet], check=True)
        torch.manual_seed(1357)
        model = PianolaLSTM(self.vocab_size, len(self.vocab.composers), 64, 96, 2,
                            density=True, parts=True)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.mul_(3.0)
        path = os.path.join(self.scratch.name, "parts.pnm")
        write_weights(model, path, self.signature, self.vocab.composers)
        tokens, _ = c_logits(path, quartet, "mozart")
        roles = {t - PART_FIRST_TOKEN for t in tokens
                 if PART_FIRST_TOKEN <= t < PART_FIRST_TOKEN + PART_ROLES}
        self.assertEqual(len(roles), 4, "the quartet's roles as read: %s" % roles)
        self.assert_parity(model, path, "mozart", sequence=quartet)

    def test_transformer_logits_match_pytorch_over_1024_steps(self) -> None:
        """A window of 256 tokens: steps 256 to 1023 run on a full, sliding cache."""
        torch.manual_seed(4321)
        model = PianolaTransformer(self.vocab_size, len(self.vocab.composers), 48, 4, 2,
                                   context=256, feed_forward=96)
        # Far from the small initialisation, so attention is peaked and the logits spread
        # as in a trained network.
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if "norm" in name and name.endswith("weight"):
                    parameter.copy_(1.0 + 0.3 * torch.randn_like(parameter))
                else:
                    parameter.copy_(0.25 * torch.randn_like(parameter))
        path = os.path.join(self.scratch.name, "transformer.pnm")
        write_weights(model, path, self.signature, self.vocab.composers)
        self.assert_parity(model, path, "mozart", steps=1024)
        self.assert_parity(model, path, "romantic", steps=1024)

    def test_bundled_model_logits_match_pytorch_at_every_step(self) -> None:
        path = os.path.join(SOURCE, "models", "pianola.pnm")
        if not os.path.exists(path):
            self.skipTest("no bundled model yet")
        model, meta = read_weights(path)
        # the codec's vocabulary, or the one before the DENSITY tokens (its first names)
        self.assertEqual(meta["signature"],
                         vocabulary_prefix_signature(self.vocab, model.vocab_size),
                         "models/pianola.pnm was made for another codec")
        for composer in ("mozart", "rachmaninoff"):
            if composer in meta["composer_names"]:
                self.assert_parity(model, path, composer, meta["composer_names"])

    def test_bundled_ensemble_network_logits_match_pytorch_on_a_quartet(self) -> None:
        path = os.path.join(SOURCE, "models", "ensembles.pnm")
        if not os.path.exists(path):
            self.skipTest("no bundled ensemble network")
        model, meta = read_weights(path)
        quartet = os.path.join(self.scratch.name, "bundled-quartet.mid")
        subprocess.run([program("generate"), "--ensemble", "string_quartet", "--model", path,
                        "--bars", "24", "--seed", "8", "-q", "-o", quartet], check=True)
        self.assert_parity(model, path, "mozart", meta["composer_names"], sequence=quartet)

    def test_parity_check_notices_a_changed_weight(self) -> None:
        """The comparison can fail: one weight changed by 1e-3 in the file PyTorch does not
        see is caught."""
        torch.manual_seed(99)
        model = PianolaLSTM(self.vocab_size, len(self.vocab.composers), 16, 24, 2)
        path = os.path.join(self.scratch.name, "changed.pnm")
        with torch.no_grad():
            model.output.bias[5] += 1e-3
            write_weights(model, path, self.signature, self.vocab.composers)
            model.output.bias[5] -= 1e-3
        with self.assertRaises(AssertionError):
            self.assert_parity(model, path, "mozart")


if __name__ == "__main__":
    unittest.main()
