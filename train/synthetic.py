"""Small synthetic token corpora in the tokenizer's exact file format (manifest.tsv, vocab.tsv,
little-endian uint16 token files), for the tests and for trying the trainer without a corpus.

Each composer gets its own learnable habit (a scale step and a rhythm), so a network that
learns anything shows it in its loss.

API:
    write_corpus(out_dir, vocab, composers, pieces_per_composer, bars, seed) -> manifest path
    write_corpus(..., parts=("violin_1", "cello"), frame_shifts=(0, 5))
        -> pieces for an ensemble: each onset a group per part, every part in its range
"""
import os
from typing import Sequence, Tuple

import numpy as np

from train.data import Vocabulary


def _piece(vocab: Vocabulary, composer: str, bars: int, rng: np.random.Generator,
           habit: int, parts: Tuple[str, ...] = ()) -> np.ndarray:
    ids = vocab.id_of
    tokens = [ids["START"], ids["COMPOSER_" + composer], ids["SOURCE_performed"]]
    tokens += [ids["PART_" + part] for part in parts]
    if parts:
        from train.data import part_ranges
        ranges = part_ranges()
        # each part walks the two octaves from its lowest note up
        walks = {part: [ranges[part][0], ranges[part][0] + 24] for part in parts}
    melody = int(rng.integers(48, 72))
    step = 1 + habit % 4
    rhythm = 6 * (1 + habit % 3)
    for bar in range(bars):
        tokens += [ids["BAR"], ids["METER_4_4"]]
        density_at = len(tokens)
        for position in range(0, 96, rhythm):
            tokens.append(ids["POS_%d" % position])
            for part in parts:
                low, high = walks[part]
                pitch = low + (melody + 3 * parts.index(part)) % (high - low + 1)
                tokens += [ids["PART_" + part], ids["PITCH_%d" % pitch],
                           ids["VEL_%d" % (8 + habit % 4)], ids["DUR_%d" % rhythm]]
            chord = sorted({melody, melody + 12} if position == 0 else {melody})
            for pitch in chord if not parts else ():
                if 21 <= pitch <= 108:
                    tokens += [ids["PITCH_%d" % pitch], ids["VEL_%d" % (8 + habit % 4)],
                               ids["DUR_%d" % rhythm]]
            melody += step if rng.random() < 0.8 else -2 * step
            melody = min(96, max(30, melody))
        if vocab.density_tokens:
            # As `pianola-tokenize --density` writes a bar: its step after the METER.
            notes = int(np.sum(vocab.pitch_of[np.array(tokens[density_at:])] >= 0))
            tokens.insert(density_at, vocab.density_token(notes, 4.0))
    tokens.append(ids["END"])
    return np.array(tokens, dtype="<u2")


def write_corpus(out_dir: str, vocab: Vocabulary, composers: Sequence[str],
                 pieces_per_composer: int = 4, bars: int = 16, seed: int = 1,
                 parts: Tuple[str, ...] = (), frame_shifts: Sequence[int] = (0,)) -> str:
    os.makedirs(out_dir, exist_ok=True)
    vocab.write(os.path.join(out_dir, "vocab.tsv"))
    rng = np.random.default_rng(seed)
    rows = []
    for habit, composer in enumerate(composers):
        for number in range(pieces_per_composer):
            tokens = _piece(vocab, composer, bars, rng, habit, tuple(parts))
            name = "%s_%02d.tok" % (composer, number)
            tokens.tofile(os.path.join(out_dir, name))
            split = "validation" if number == pieces_per_composer - 1 else "train"
            notes = int(np.sum(vocab.pitch_of[tokens.astype(np.int64)] >= 0))
            rows.append([name, "synthetic", composer, "%s:%d" % (composer, number), name,
                         split, str(notes), str(len(tokens)), "C major",
                         str(frame_shifts[number % len(frame_shifts)])] +
                        ([",".join(parts)] if parts else []))
    path = os.path.join(out_dir, "manifest.tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("tokens\tsource\tcomposer\twork\tfile\tsplit\tnotes\tn_tokens\tkey\t"
                "frame_shift" + ("\tparts\n" if parts else "\n"))
        for row in rows:
            f.write("\t".join(row) + "\n")
    return path
