"""Evaluation: how well a trained network predicts held-out music, against baselines, and how
much of its output it copied from the training corpus.

`/usr/bin/python3 -m train evaluate --tokens DIR --model models/pianola.pnm` prints, for every
composer with validation pieces (and the Romantic blend: the Brahms, Schumann and Rachmaninoff
pieces presented as `romantic`), the negative log-likelihood in bits per token and per note
of the network, of an interpolated Kneser-Ney n-gram model of the same training tokens (see
train/ngram.py), and of the training unigram distribution (the unigram entropy of the
vocabulary as the corpus uses it). Every token after the COMPOSER token is scored, from the
start of its piece; per note divides a piece's bits by its PITCH tokens.

The copy measure (`--copy`): in music `pianola-generate` composes with this network, the
longest run of consecutive note onsets, each a (pitch, position in bar) pair in the order the
tokens give them, that appears verbatim in the training corpus. The notes come from the C
codec (train/codec.py); nothing here composes or decodes tokens.

API:
    onset_codes(notes, semitones=0) -> int64 codes pitch * PITCH_STEP + position, one per note
    piece_onsets(piece, key_frame) -> onset_codes of a corpus piece, in the key frame or not
    longest_copied_run(generated, corpus_sequences) -> (length, index in generated)
    evaluate(model, corpus, orders) -> rows of figures
"""
import argparse
import math
import os
import shutil
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from train import codec
from train.data import (HIGHEST_PITCH, LOWEST_PITCH, Corpus, Piece, Vocabulary,
                        offered_composers, relabel)
from train.model import PianolaLSTM
from train.ngram import KneserNey, unigram_counts
from train.train import score_pieces

LOG2E = 1.0 / np.log(2.0)
PITCH_STEP = 1 << 16  # more than any position in a bar, in ticks


def onset_codes(notes: np.ndarray, semitones: int = 0) -> np.ndarray:
    """One code per note of codec.notes(): its pitch, moved by `semitones` and held on the
    keyboard (as Corpus.read moves a piece into the key frame), and its position in the bar."""
    pitches = np.clip(notes[:, codec.PITCH] + semitones, LOWEST_PITCH, HIGHEST_PITCH)
    return pitches * PITCH_STEP + notes[:, codec.POSITION]


_BASE = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def _prefix_hashes(values: np.ndarray) -> np.ndarray:
    """Polynomial prefix hashes modulo 2^64: prefix[i] = sum over j < i of
    (values[j] + 1) * BASE^(i - 1 - j), computed as BASE^(i-1) times a running sum of
    (values[j] + 1) * BASE^-j (BASE is odd, so invertible modulo 2^64; numpy's uint64
    arithmetic wraps)."""
    n = len(values)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    if n == 0:
        return prefix
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(n, _BASE, dtype=np.uint64), dtype=np.uint64)
        inverse = np.cumprod(np.full(n, pow(_BASE, -1, 1 << 64), dtype=np.uint64),
                             dtype=np.uint64)
        # powers[i] = BASE^(i+1), inverse[i] = BASE^-(i+1)
        terms = (values.astype(np.uint64) + np.uint64(1)) * inverse * np.uint64(_BASE)
        prefix[1:] = np.cumsum(terms, dtype=np.uint64) * powers * \
            np.uint64(pow(_BASE, -1, 1 << 64))
    return prefix


def _window_hashes(prefix: np.ndarray, length: int) -> np.ndarray:
    power = np.uint64(pow(_BASE, length, 1 << 64))
    with np.errstate(over="ignore"):
        return prefix[length:] - prefix[:-length] * power


def longest_copied_run(generated: np.ndarray, corpus: Sequence[np.ndarray]) -> Tuple[int, int]:
    """The longest run of `generated` found verbatim in one of the corpus sequences, and
    where it starts in `generated` (binary search on the length over rolling hashes; a run of
    length L contains runs of every shorter length)."""
    pieces = [np.asarray(c, dtype=np.int64) for c in corpus if len(c)]
    # distinct separators between pieces, never equal to an onset code
    joined = []
    for i, c in enumerate(pieces):
        joined.append(c)
        joined.append(np.array([-(i + 2)], dtype=np.int64))
    corpus_all = np.concatenate(joined) if joined else np.zeros(0, dtype=np.int64)
    corpus_prefix = _prefix_hashes(corpus_all - corpus_all.min() if len(corpus_all) else
                                   corpus_all)
    shift = corpus_all.min() if len(corpus_all) else 0
    generated = np.asarray(generated, dtype=np.int64)
    generated_prefix = _prefix_hashes(generated - shift)

    def found(length: int) -> int:
        if length == 0:
            return 0
        if length > len(generated) or length > len(corpus_all):
            return -1
        mine = _window_hashes(generated_prefix, length)
        theirs = np.unique(_window_hashes(corpus_prefix, length))
        hit = np.nonzero(np.isin(mine, theirs, assume_unique=False))[0]
        return int(hit[0]) if len(hit) else -1

    low, high, where = 0, len(generated), 0
    while low < high:
        middle = (low + high + 1) // 2
        at = found(middle)
        if at >= 0:
            low, where = middle, at
        else:
            high = middle - 1
    return low, where


def longest_copied_run_any_key(generated: np.ndarray,
                               corpus: Sequence[np.ndarray]) -> Tuple[int, int, int]:
    """longest_copied_run of the generated onsets moved into every key (-6..+5 semitones),
    so music the plugin transposed out of the network's key frame is still caught copying:
    (length, where, semitones)."""
    best = (0, 0, 0)
    for semitones in range(-6, 6):
        length, where = longest_copied_run(np.asarray(generated) + semitones * PITCH_STEP, corpus)
        if length > best[0]:
            best = (length, where, semitones)
    return best


def evaluate(model: Optional[PianolaLSTM], corpus: Corpus, orders: Sequence[int] = (3, 4, 5),
             say=print) -> List[Dict]:
    """One row per composer set (and per ensemble, when the validation pieces have parts):
    tokens, notes, and bits per token and per note for the
    network, each n-gram order and the unigram distribution."""
    vocab = corpus.vocab
    train = [p.tokens for p in corpus.split("train")]
    say("counting n-grams of %d training pieces (%d tokens)"
        % (len(train), sum(len(t) for t in train)))
    ngrams = {n: KneserNey(n, len(vocab), vocab.pad).fit(train) for n in orders}
    counts = unigram_counts(train, len(vocab))
    unigram = -np.log2(counts / counts.sum())
    sets: List[Tuple[str, List[Piece], Optional[int]]] = []
    validation = corpus.split("validation")
    for name in vocab.composers:
        pieces = [p for p in validation if p.composer == name]
        if pieces:
            sets.append((name, pieces, None))
    offered = offered_composers()
    blend = [p for p in validation if p.composer in offered.blend_sources]
    if blend and offered.blend in vocab.composer_class:
        sets.append((offered.blend, blend, vocab.composer_class[offered.blend]))
    ensembles = corpus.by_ensemble("validation")
    if set(ensembles) - {"solo_piano"}:
        sets += [(name, pieces, None) for name, pieces in ensembles.items()]
    sets.append(("all", validation, None))
    rows = []
    for name, pieces, cls in sets:
        row: Dict = {"composer": name, "pieces": len(pieces)}
        if model is not None:
            nll, scored_tokens, notes = score_pieces(model, pieces, vocab, cls)
            row["model"] = nll * LOG2E
        else:
            scored_tokens = notes = 0
        bits = {n: 0.0 for n in orders}
        uni = 0.0
        tokens_counted, notes_counted = 0, 0
        for piece in pieces:
            tokens = piece.tokens
            if cls is not None:
                tokens = relabel(tokens, vocab, vocab.composers[cls])
            for n in orders:
                bits[n] -= float(ngrams[n].log2_probabilities(tokens, 2).sum())
            uni += float(unigram[tokens[2:]].sum())
            tokens_counted += len(tokens) - 2
            notes_counted += int(np.sum(vocab.pitch_of[tokens] >= 0))
        row["tokens"], row["notes"] = tokens_counted, notes_counted
        if model is not None and (scored_tokens, notes) != (tokens_counted, notes_counted):
            raise RuntimeError("scored %d tokens and %d notes with the network, %d and %d "
                               "with the n-grams" % (scored_tokens, notes, tokens_counted,
                                                     notes_counted))
        for n in orders:
            row["ngram%d" % n] = bits[n]
        row["unigram"] = uni
        rows.append(row)
    return rows


FAMILIES = ("BAR", "METER", "DENSITY", "POS", "PART", "PITCH", "VEL", "DUR")


def family_costs(model: PianolaLSTM, pieces: Sequence[Piece], vocab: Vocabulary,
                 composer_class: Optional[int] = None) -> Dict[str, float]:
    """Where the network's bits go on the pieces: bits per token of each token family, and
    the pitch-class part of a PITCH token's cost, -log2 of the probability the network gives
    the right pitch class among its pitches (summed over octaves). A network that cannot tell
    the key pays log2(12) = 3.585 bits for it."""
    family_of = np.full(len(vocab), -1, dtype=np.int64)
    for index, name in enumerate(vocab.names):
        prefix = name.split("_", 1)[0]
        if prefix in FAMILIES:
            family_of[index] = FAMILIES.index(prefix)
    pitch_ids = torch.from_numpy(np.nonzero(vocab.pitch_of >= 0)[0])
    # pitch token -> pitch class, as a 0/1 matrix summing a distribution over octaves
    to_class = torch.zeros(len(pitch_ids), 12, dtype=torch.float64)
    classes = torch.from_numpy(vocab.pitch_of[pitch_ids.numpy()] % 12)
    to_class[torch.arange(len(pitch_ids)), classes] = 1
    family_table = torch.from_numpy(family_of)
    pitch_table = torch.from_numpy(vocab.pitch_of)
    bits = np.zeros(len(FAMILIES))
    counts = np.zeros(len(FAMILIES), dtype=np.int64)
    class_bits, class_count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for piece in pieces:
            cls = vocab.composer_class[piece.composer] if composer_class is None \
                else composer_class
            tokens = piece.tokens if composer_class is None \
                else relabel(piece.tokens, vocab, vocab.composers[cls])
            logits, _ = model(torch.from_numpy(tokens[None, :-1]), torch.tensor([cls]))
            log_p = torch.log_softmax(logits[0].double(), dim=-1)[1:]  # after COMPOSER
            targets = torch.from_numpy(tokens[2:])
            target_bits = -log_p.gather(1, targets[:, None])[:, 0] * LOG2E
            families = family_table[targets]
            for f in range(len(FAMILIES)):
                chosen = families == f
                bits[f] += float(target_bits[chosen].sum())
                counts[f] += int(chosen.sum())
            pitched = pitch_table[targets] >= 0
            per_class = torch.exp(log_p[pitched][:, pitch_ids]) @ to_class
            true_class = pitch_table[targets[pitched]] % 12
            share = per_class.gather(1, true_class[:, None])[:, 0] / per_class.sum(dim=1)
            class_bits -= float(torch.log2(share).sum())
            class_count += int(pitched.sum())
    costs = {name: bits[i] / counts[i] for i, name in enumerate(FAMILIES) if counts[i]}
    costs["pitch class"] = class_bits / max(1, class_count)
    return costs


def print_table(rows: List[Dict], orders: Sequence[int], say=print) -> None:
    columns = (["model"] if "model" in rows[0] else []) + ["ngram%d" % n for n in orders] + \
        ["unigram"]
    say("bits per token / bits per note on the validation pieces (every token after COMPOSER)")
    say("%-17s %6s %8s %7s  " % ("composer/ensemble", "pieces", "tokens", "notes") +
        "  ".join("%15s" % c for c in columns))
    for row in rows:
        mark = "*" if row["composer"] in offered_composers().choices else " "
        cells = ["%6.3f / %6.3f" % (row[c] / row["tokens"], row[c] / max(1, row["notes"]))
                 for c in columns]
        say("%-16s%s %6d %8d %7d  " % (row["composer"], mark, row["pieces"], row["tokens"],
                                       row["notes"]) + "  ".join("%15s" % c for c in cells))
    say("(* a bundled composer class)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokens", required=True, action="append",
                        help="the tokenizer's output folder; give it again for more, as fit")
    parser.add_argument("--model", default="", help="a .pnm file (omit for baselines only)")
    parser.add_argument("--key-frame", type=int, default=1,
                        help="without --model: count the baselines on pieces moved to C major "
                             "/ A minor (1) or in their own keys (0)")
    parser.add_argument("--orders", default="3,4,5", help="n-gram orders of the baseline")
    parser.add_argument("--copy", action="store_true", help="also measure copying")
    parser.add_argument("--copy-composer", default="mozart",
                        help="whose music to measure; several, comma-separated")
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="length of the generated music at 120 quarter notes a minute")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=1.0,
                        help="nucleus for pianola-generate (1: the whole distribution)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--generator", default="",
                        help="pianola-generate, which composes the music [build/]")
    parser.add_argument("--tokenizer", default="",
                        help="pianola-tokenize, which reads the music and decodes the notes "
                             "[build/]")


def piece_onsets(piece: Piece, key_frame: bool, tokenizer: Optional[str] = None) -> np.ndarray:
    """The onset codes of a corpus piece as the codec decodes its token file, moved into the
    key frame as Corpus.read(key_frame=True) moves its tokens."""
    notes = codec.notes(piece.path, tokenizer)
    return onset_codes(notes, -piece.frame_shift if key_frame else 0)


def copy_measure(args: argparse.Namespace, composer: str, key_frame: bool, corpus: Corpus,
                 corpus_onsets: List[np.ndarray]) -> None:
    """Prints the longest run of the composer's generated onsets found verbatim in the training
    pieces, and the same for the composer's held-out pieces as a yardstick."""
    bars = int(round(args.minutes * 120 / 4))
    composed = codec.compose(args.model, composer, bars, args.seed, args.temperature,
                             args.top_p, args.generator or None, args.tokenizer or None)
    notes = onset_codes(codec.notes(composed, args.tokenizer or None))
    shutil.rmtree(os.path.dirname(composed), ignore_errors=True)
    length, where, semitones = longest_copied_run_any_key(notes, corpus_onsets)
    print("copy measure: %d notes generated (%s, %.0f minutes at 120 BPM, pianola-generate "
          "at temperature %g, top-p %g, seed %d); longest run of note onsets found "
          "verbatim in the training corpus, in any key: %d notes (at note %d, moved %+d "
          "semitones)"
          % (len(notes), composer, args.minutes, args.temperature, args.top_p,
             args.seed, length, where, semitones))
    held_out = [piece_onsets(p, key_frame, args.tokenizer or None)
                for p in corpus.by_composer(composer, "validation")]
    if held_out:
        reference = max(longest_copied_run_any_key(h, corpus_onsets)[0] for h in held_out)
        print("for comparison, the held-out %s pieces (%d notes): longest run %d notes"
              % (composer, sum(len(h) for h in held_out), reference))


def main(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    model, key_frame = None, bool(args.key_frame)
    if args.model:
        from train.export import read_weights
        model, meta = read_weights(args.model)
        key_frame = meta["key_frame"]
    # a key-normalized network is scored on the pieces moved into its frame, and the
    # baselines are counted on the very same tokens
    corpus = Corpus.read(args.tokens, key_frame=key_frame)
    vocab = corpus.vocab
    print("pieces %s" % ("moved to C major / A minor (the network's key frame)" if key_frame
                         else "in their own keys"))
    if model is not None and meta["signature"] != vocab.signature:
        raise SystemExit("%s: vocabulary signature %016x, the tokens have %016x"
                         % (args.model, meta["signature"], vocab.signature))
    orders = [int(n) for n in args.orders.split(",")]
    rows = evaluate(model, corpus, orders)
    print_table(rows, orders)
    if model is not None:
        print("bits per token of each family on the validation pieces, and the pitch class's "
              "share of a PITCH token (uniform: %.3f)" % math.log2(12))
        for name in offered_composers().corpus:
            pieces = corpus.by_composer(name, "validation")
            if pieces:
                costs = family_costs(model, pieces, vocab)
                print("%-13s " % name + "  ".join("%s %.2f" % (k, v) for k, v in costs.items()))
    if args.copy and model is not None:
        corpus_onsets = [piece_onsets(p, key_frame, args.tokenizer or None)
                         for p in corpus.split("train")]
        for composer in args.copy_composer.split(","):
            copy_measure(args, composer, key_frame, corpus, corpus_onsets)
    return 0
