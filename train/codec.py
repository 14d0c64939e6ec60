"""What training asks of the C side. The event codec and the composing engine live once, in
C (`src/`); training reaches them only through their programs and never encodes, decodes or
composes music itself:

- the vocabulary: `pianola-tokenize --vocab` writes the `vocab.tsv` a corpus run writes.

The programs are taken from `$PIANOLA_BUILD` (set by `./waf test`), else the repository's
`build/` folder.

API:
    program(name) -> path of pianola-<name>
    vocabulary(tokenizer=None) -> Vocabulary        # the codec's, from the tokenizer
"""
import os
import subprocess
import tempfile
from typing import Optional

from train.data import Vocabulary

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def program(name: str) -> str:
    build = os.environ.get("PIANOLA_BUILD", os.path.join(REPO, "build"))
    return os.path.join(build, "pianola-" + name)


def vocabulary(tokenizer: Optional[str] = None) -> Vocabulary:
    """The codec's vocabulary, without tokenizing a corpus."""
    with tempfile.TemporaryDirectory(prefix="pianola-vocab-") as work:
        path = os.path.join(work, "vocab.tsv")
        subprocess.run([tokenizer or program("tokenize"), "--vocab", path], check=True)
        return Vocabulary.read(path)

