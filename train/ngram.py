"""The baseline a network has to beat: an interpolated Kneser-Ney n-gram model of the same
training tokens, and a unigram model.

Interpolated Kneser-Ney (Chen and Goodman, "An empirical study of smoothing techniques for
language modeling", 1998), one absolute discount per order, D = n1 / (n1 + 2 n2):

    P_k(w | h) = (max(c_k(h w) - D_k, 0) + D_k * N1+(h .) * P_{k-1}(w | h')) / c_k(h .)

with raw counts at the highest order and continuation counts (the number of distinct tokens
seen before) below it, the uniform distribution under the unigram, and a context never seen
backing off entirely to the order below. Everything is counted and looked up with numpy on
integer codes of the n-grams (9 bits a token), so a corpus of millions of tokens takes seconds.

API:
    model = KneserNey(order, vocab_size); model.fit(sequences)
    model.log2_probabilities(sequence, first) -> bits of each token from index `first` on
    unigram_counts(train_sequences, vocab_size) -> add-one smoothed token counts
"""
from typing import Sequence

import numpy as np

BITS = 9  # bits per token in an n-gram code: vocabularies up to 512 tokens


def _codes(padded: np.ndarray, k: int) -> np.ndarray:
    """Codes of the k-grams ending at every position >= k - 1 of a padded sequence."""
    n = len(padded) - k + 1
    code = np.zeros(n, dtype=np.int64)
    for j in range(k):
        code = (code << BITS) | padded[j:j + n]
    return code


class KneserNey:
    def __init__(self, order: int, vocab_size: int, pad: int = 0) -> None:
        if vocab_size > (1 << BITS) or order * BITS > 62:
            raise ValueError("vocabulary or order too large for the n-gram codes")
        self.order, self.vocab_size, self.pad = order, vocab_size, pad

    def _pad(self, sequence: np.ndarray) -> np.ndarray:
        return np.concatenate([np.full(self.order - 1, self.pad, dtype=np.int64),
                               np.asarray(sequence, dtype=np.int64)])

    def fit(self, sequences: Sequence[np.ndarray]) -> "KneserNey":
        n = self.order
        padded = [self._pad(s) for s in sequences]
        # grams[k]: every k-gram occurrence whose last token is a real token
        grams = {k: np.concatenate([_codes(p, k)[n - k:] for p in padded])
                 for k in range(1, n + 1)}
        self.tables = {}
        for k in range(1, n + 1):
            if k == n:
                keys, counts = np.unique(grams[k], return_counts=True)
            else:
                # continuation count of a k-gram: distinct tokens seen before it
                longer = np.unique(grams[k + 1])
                keys, counts = np.unique(longer & ((1 << (BITS * k)) - 1), return_counts=True)
            n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
            discount = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
            contexts = keys >> BITS
            context_keys, first, types = np.unique(contexts, return_index=True,
                                                   return_counts=True)
            totals = np.add.reduceat(counts, first) if len(counts) else counts
            self.tables[k] = (keys, counts.astype(np.float64), float(discount), context_keys,
                              totals.astype(np.float64), types.astype(np.float64))
        return self

    def log2_probabilities(self, sequence: np.ndarray, first: int = 0) -> np.ndarray:
        padded = self._pad(sequence)
        n = self.order
        targets = np.asarray(sequence, dtype=np.int64)[first:]
        p = np.full(len(targets), 1.0 / self.vocab_size)
        for k in range(1, n + 1):
            keys, counts, discount, context_keys, totals, types = self.tables[k]
            codes = _codes(padded, k)[n - k:][first:]
            found = np.searchsorted(keys, codes)
            found = np.minimum(found, len(keys) - 1)
            c = np.where(keys[found] == codes, counts[found], 0.0)
            contexts = codes >> BITS
            where = np.minimum(np.searchsorted(context_keys, contexts), len(context_keys) - 1)
            seen = context_keys[where] == contexts
            total = np.where(seen, totals[where], 1.0)
            kinds = np.where(seen, types[where], 0.0)
            mixed = (np.maximum(c - discount, 0.0) + discount * kinds * p) / total
            p = np.where(seen, mixed, p)
        return np.log2(p)


def unigram_counts(train_sequences: Sequence[np.ndarray], vocab_size: int) -> np.ndarray:
    """The training tokens' counts, add-one smoothed (no token has probability 0)."""
    counts = np.ones(vocab_size)
    for s in train_sequences:
        counts += np.bincount(s, minlength=vocab_size)
    return counts
