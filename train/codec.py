"""What training asks of the C side. The codec and the composing engine live once, in
C (`src/`); training reaches them only through their programs and never encodes, decodes or
composes music itself:

- the vocabulary: `pianola-tokenize --vocab` writes the `vocab.tsv` a corpus run writes;
- the notes a token sequence stands for: `pianola-tokenize --notes` decodes a token file;
- music composed by the network: `pianola-generate`, read back into tokens by
  `pianola-tokenize --encode`.

The programs are taken from `$PIANOLA_BUILD` (set by `./waf test`), else the repository's
`build/` folder.

API:
    program(name) -> path of pianola-<name>
    vocabulary(tokenizer=None) -> Vocabulary        # the codec's, from the tokenizer
    notes(token_file, tokenizer=None) -> int64 [N, 5]: bar, position in the bar (ticks), pitch,
                                                     MIDI velocity, duration (ticks)
    compose(model, composer, bars, seed, temperature, top_p, generator=None,
            tokenizer=None, say=print) -> token file path of the composed piece
"""
import os
import subprocess
import tempfile
from typing import Callable, Optional

import numpy as np

from train.data import Vocabulary

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# columns of notes()
BAR, POSITION, PITCH, VELOCITY, DURATION = range(5)


def program(name: str) -> str:
    build = os.environ.get("PIANOLA_BUILD", os.path.join(REPO, "build"))
    return os.path.join(build, "pianola-" + name)


def vocabulary(tokenizer: Optional[str] = None) -> Vocabulary:
    """The codec's vocabulary, without tokenizing a corpus."""
    with tempfile.TemporaryDirectory(prefix="pianola-vocab-") as work:
        path = os.path.join(work, "vocab.tsv")
        subprocess.run([tokenizer or program("tokenize"), "--vocab", path], check=True)
        return Vocabulary.read(path)


def notes(token_file: str, tokenizer: Optional[str] = None) -> np.ndarray:
    """The notes of a token file in token order (onset, then rising pitch), as the codec
    decodes them."""
    out = subprocess.run([tokenizer or program("tokenize"), "--notes", token_file],
                         check=True, capture_output=True, text=True).stdout
    # An ensemble's notes name their part last; these five numbers are every note's.
    rows = [line.split()[:5] for line in out.splitlines() if not line.startswith("#")]
    return np.array(rows, dtype=np.int64).reshape(-1, 5)


def compose(model: str, composer: str, bars: int, seed: int, temperature: float,
            top_p: float, generator: Optional[str] = None, tokenizer: Optional[str] = None,
            say: Callable[[str], None] = print) -> str:
    """`bars` bars of 4/4 at 120 BPM composed by `pianola-generate` (the plugin's engine, with
    its grammar and key handling) and encoded by the codec: the path of the token file, in a
    new temporary folder the caller may remove."""
    work = tempfile.mkdtemp(prefix="pianola-compose-")
    midi = os.path.join(work, "composed.mid")
    command = [generator or program("generate"), "--model", model, "--composer", composer,
               "--bars", str(bars), "--meter", "4/4", "--tempo", "120", "--seed", str(seed),
               "--temperature", str(temperature), "--top-p", str(top_p), "-o", midi]
    say("running: " + " ".join(command))
    subprocess.run(command, check=True)
    tokens = os.path.join(work, "composed.tok")
    subprocess.run([tokenizer or program("tokenize"), "--encode", midi, "--composer", composer,
                    "-o", tokens], check=True)
    return tokens
