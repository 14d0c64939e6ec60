"""The training data: the vocabulary, the manifest and the token files `pianola-tokenize`
writes, and the random windows the network learns from.

Token meanings come only from the names in `vocab.tsv`, which `pianola-tokenize` writes
beside the token files (and alone with `--vocab`, see train/codec.py); nothing here parses
MIDI or documentation.

API:
    vocab = Vocabulary.read(path)            # names, ids, signature, composer classes
    corpus = Corpus.read(tokens_dir)         # every piece of the manifest, loaded
    corpus = Corpus.read(tokens_dir, key_frame=True)   # each piece moved to C major / A minor
    corpus = Corpus.read([piano_dir, chamber_dir])     # several folders, one vocabulary
    sampler = WindowSampler(corpus.split("train"), vocab, length, seed, ...)
    tokens, composers, next_tokens = sampler.batch(size)  # int64 [B, length + 1], [B], [B, length]
    sampler.state_dict() / sampler.load_state_dict(state)   # the exact data position
    offered_composers()                      # the plugin's composers (pianola-tokenize --composers)
    part_ranges()                            # each role's range (pianola-tokenize --parts)
    ensemble_name(parts)                     # the ensemble of a piece's roles (--ensembles)

A composer *class* is the index of a `COMPOSER_<name>` token among the vocabulary's composer
tokens, in vocabulary order: the row of the network's composer embedding and the index the
weights file names.
"""
import csv
import functools
import io
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

LOWEST_PITCH = 21    # A0, the piano's lowest key
HIGHEST_PITCH = 108  # C8, its highest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class OfferedComposers:
    """The composers the plugin offers (src/composers.h, listed by `pianola-tokenize
    --composers`). Those of the corpus always have validation pieces, and their validation loss
    decides when training stops; windows of the blend's sources are presented, with some
    probability, as the blend class, so the plugin's "Romantic blend" is a class the network
    has learned."""
    choices: Tuple[str, ...]         # every one, in the order of the plugin's Composer port
    corpus: Tuple[str, ...]          # those that are composers of the corpus
    blend: str                       # the blend class ("" if none)
    blend_sources: Tuple[str, ...]   # the composers whose pieces teach the blend
    labels: Tuple[str, ...] = ()     # what a menu calls each of `choices`


def find_tokenizer() -> str:
    """pianola-tokenize: in $PIANOLA_BUILD, else in this checkout's build/, else on PATH."""
    for folder in (os.environ.get("PIANOLA_BUILD", ""), os.path.join(REPO, "build")):
        path = os.path.join(folder, "pianola-tokenize")
        if folder and os.access(path, os.X_OK):
            return path
    return shutil.which("pianola-tokenize") or "pianola-tokenize"


@functools.lru_cache(maxsize=None)
def offered_composers(tokenizer: str = "") -> OfferedComposers:
    """The composers the plugin offers, as the tokenizer (default: find_tokenizer()) lists them."""
    listed = subprocess.run([tokenizer or find_tokenizer(), "--composers"], check=True,
                            stdout=subprocess.PIPE, universal_newlines=True).stdout
    rows = list(csv.DictReader(io.StringIO(listed), delimiter="\t"))
    blends = [r["composer"] for r in rows if r["blend"] == "class"]
    return OfferedComposers(
        choices=tuple(r["composer"] for r in rows),
        corpus=tuple(r["composer"] for r in rows if r["blend"] != "class"),
        blend=blends[0] if blends else "",
        blend_sources=tuple(r["composer"] for r in rows if r["blend"] == "source"),
        labels=tuple(r["label"] for r in rows))


@functools.lru_cache(maxsize=None)
def _listing(option: str, tokenizer: str = "") -> Tuple[Dict[str, str], ...]:
    listed = subprocess.run([tokenizer or find_tokenizer(), option], check=True,
                            stdout=subprocess.PIPE, universal_newlines=True).stdout
    return tuple(csv.DictReader(io.StringIO(listed), delimiter="\t"))


def part_ranges(tokenizer: str = "") -> Dict[str, Tuple[int, int]]:
    """Each ensemble role's range, lowest and highest MIDI pitch, as src/parts.c states them
    (`pianola-tokenize --parts`)."""
    return {r["part"]: (int(r["lowest"]), int(r["highest"]))
            for r in _listing("--parts", tokenizer)}


def ensemble_name(parts: Tuple[str, ...], tokenizer: str = "") -> str:
    """The name of the plugin's ensemble of these roles (`pianola-tokenize --ensembles`:
    "solo_piano" for none), else the roles joined by "+" ("violin_1+viola")."""
    for row in _listing("--ensembles", tokenizer):
        if set(filter(None, row["parts"].split(","))) == set(parts):
            return row["ensemble"]
    return "+".join(parts)


class Vocabulary:
    """The codec's tokens by id, and its signature: the one the codec computed and wrote in
    vocab.tsv's header, which the weights file carries and the engine checks; and the
    signatures of the earlier vocabularies the engine still accepts, by their size (each a
    start of this one)."""

    def __init__(self, names: List[str], signature: int,
                 density_edges: Tuple[float, ...] = (),
                 earlier_signatures: Optional[Dict[int, int]] = None) -> None:
        self.names = names
        self.signature = signature
        self.earlier_signatures = dict(earlier_signatures or {})
        # The DENSITY tokens (sparsest first) and where each step begins, in notes per
        # quarter-note beat (vocab.tsv's "# density lower edges" line, from src/vocabulary.c).
        self.density_tokens = [i for i, n in enumerate(names) if n.startswith("DENSITY_")]
        self.density_edges = tuple(density_edges)
        self.velocity_tokens = [i for i, n in enumerate(names) if n.startswith("VEL_")]
        self.id_of = {name: index for index, name in enumerate(names)}
        self.pad = self.id_of.get("PAD", 0)
        self.start = self.id_of["START"]
        self.end = self.id_of["END"]
        self.bar = self.id_of["BAR"]
        self.composer_tokens = [i for i, n in enumerate(names) if n.startswith("COMPOSER_")]
        self.meter_tokens = [i for i, n in enumerate(names) if n.startswith("METER_")]
        self.source_tokens = [i for i, n in enumerate(names) if n.startswith("SOURCE_")]
        self.part_tokens = [i for i, n in enumerate(names) if n.startswith("PART_")]
        self.composers = [names[i][len("COMPOSER_"):] for i in self.composer_tokens]
        self.composer_class = {name: k for k, name in enumerate(self.composers)}
        # pitch_of[id] = the MIDI pitch of a PITCH token, -1 for any other token
        self.pitch_of = np.full(len(names), -1, dtype=np.int64)
        self.pitch_token = np.full(HIGHEST_PITCH + 1, -1, dtype=np.int64)
        for index, name in enumerate(names):
            if name.startswith("PITCH_"):
                pitch = int(name[len("PITCH_"):])
                self.pitch_of[index] = pitch
                self.pitch_token[pitch] = index

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def read(cls, path: str) -> "Vocabulary":
        names: Dict[int, str] = {}
        signature = None
        density_edges: Tuple[float, ...] = ()
        earlier: Dict[int, int] = {}
        with open(path, encoding="ascii") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("# earlier vocabulary of "):
                    words = line.split()
                    earlier[int(words[4])] = int(words[6], 16)
                    continue
                if line.startswith("#"):
                    words = line.split()
                    if "signature" in words and words.index("signature") + 1 < len(words):
                        signature = int(words[words.index("signature") + 1], 16)
                    if line.startswith("# density lower edges in notes per beat"):
                        density_edges = tuple(float(w) for w in words[8:])
                    continue
                if not line.strip():
                    continue
                index, name = line.split("\t")[:2]
                names[int(index)] = name
        if signature is None:
            raise ValueError("%s: no '# pianola vocabulary signature' header; write it with "
                             "pianola-tokenize" % path)
        if sorted(names) != list(range(len(names))):
            raise ValueError("%s: token ids are not 0..%d" % (path, len(names) - 1))
        vocab = cls([names[i] for i in range(len(names))], signature, density_edges, earlier)
        if len(vocab.density_tokens) != len(vocab.density_edges):
            raise ValueError("%s: %d DENSITY tokens but %d density edges; write it with "
                             "pianola-tokenize" % (path, len(vocab.density_tokens),
                                                   len(vocab.density_edges)))
        return vocab

    def density_token(self, notes: int, beats: float) -> int:
        """The DENSITY token of a bar of `beats` quarter-note beats holding `notes` notes, as
        the codec writes it."""
        step = 0
        for index, edge in enumerate(self.density_edges):
            if notes * 4 >= edge * 4 * beats:
                step = index
        return self.density_tokens[step]

    def write(self, path: str) -> None:
        with open(path, "w", encoding="ascii") as f:
            f.write("# pianola vocabulary signature %016x\n" % self.signature)
            for size, signature in sorted(self.earlier_signatures.items()):
                f.write("# earlier vocabulary of %d tokens %016x\n" % (size, signature))
            if self.density_edges:
                f.write("# density lower edges in notes per beat %s\n"
                        % " ".join("%g" % edge for edge in self.density_edges))
            for index, name in enumerate(self.names):
                f.write("%d\t%s\n" % (index, name))

    def transpose_table(self, shift: int) -> np.ndarray:
        """A lookup table mapping every token id to its id after transposing by `shift`
        semitones (only PITCH tokens move; pitches pushed off the piano stay at its edge, so
        use it only for shifts the piece allows, see Piece.shifts)."""
        table = np.arange(len(self.names), dtype=np.int64)
        pitched = self.pitch_of >= 0
        moved = np.clip(self.pitch_of[pitched] + shift, LOWEST_PITCH, HIGHEST_PITCH)
        table[pitched] = self.pitch_token[moved]
        return table


@dataclass
class Piece:
    tokens: np.ndarray          # int64 token ids, START .. END
    composer: str               # the manifest's composer (a vocabulary composer name)
    work: str
    split: str
    path: str
    lowest_pitch: int = LOWEST_PITCH
    highest_pitch: int = HIGHEST_PITCH
    notes: int = 0              # PITCH tokens in the piece
    frame_shift: int = 0        # semitones the piece (as written) lies above C major / A minor
    parts: Tuple[str, ...] = ()  # the roles its PART tokens declare (none: solo piano)
    ensemble: str = "solo_piano"
    # the transpositions keeping every part's notes, as they sound, in its role's range
    part_shifts: Tuple[int, int] = (-127, 127)
    # False for a piece that teaches what is played but not how loud (Corpus.read's
    # `notes_only`): its VEL tokens are inputs, never targets
    dynamics: bool = True

    def shifts(self, max_shift: int, step: int = 1) -> Tuple[int, int]:
        """The transposition range, in multiples of `step` semitones, keeping every pitch on
        the piano and, in an ensemble, every part in its instrument's range.

        An ensemble's range is made symmetric: its strings reach their lowest open string
        and rarely their highest note, so the range alone allows moving a quartet up an
        octave and never down, and half its windows were shown an octave too high; the
        network learned that register (the violin of violin and piano 12 semitones above the
        corpus'). Shifting as far down as up keeps each part's mean register."""
        low = max(-max_shift, LOWEST_PITCH - self.lowest_pitch, self.part_shifts[0])
        high = min(max_shift, HIGHEST_PITCH - self.highest_pitch, self.part_shifts[1])
        low, high = -((-low) // step), high // step
        if self.parts:
            reach = max(0, min(-low, high))
            low, high = -reach, reach
        return low, high


def declared_parts(tokens: np.ndarray, vocab: Vocabulary) -> np.ndarray:
    """The PART tokens a piece declares: those before its first BAR."""
    bars = np.nonzero(tokens == vocab.bar)[0]
    opening = tokens[:bars[0] if len(bars) else len(tokens)]
    return opening[np.isin(opening, vocab.part_tokens)]


def part_shifts(tokens: np.ndarray, vocab: Vocabulary) -> Tuple[int, int]:
    """The transpositions (semitones) of a piece with parts, as written, that keep every
    part's notes in its role's range (`part_ranges`); (-127, 127) for a solo piece. A note's
    part is the one of the last PART token before it after the declarations."""
    declared = declared_parts(tokens, vocab)
    bars = np.nonzero(tokens == vocab.bar)[0]
    if not len(declared) or not len(bars):
        return (-127, 127)
    ranges = part_ranges()
    owner = part_of_each_token(tokens, vocab)
    pitches = vocab.pitch_of[tokens]
    low, high = -127, 127
    for part in np.unique(declared):
        mine = pitches[(pitches >= 0) & (owner == part)]
        if len(mine):
            lowest, highest = ranges[vocab.names[part][len("PART_"):]]
            low, high = max(low, lowest - int(mine.min())), min(high, highest - int(mine.max()))
    return (low, high)


def part_of_each_token(tokens: np.ndarray, vocab: Vocabulary) -> np.ndarray:
    """The PART token each token after the declarations belongs to (the last PART token
    before it), -1 where none does (the header, the declarations)."""
    bars = np.nonzero(tokens == vocab.bar)[0]
    is_part = np.isin(tokens, vocab.part_tokens)
    if len(bars):
        is_part[:bars[0]] = False
    last = np.maximum.accumulate(np.where(is_part, np.arange(len(tokens)), -1))
    return np.where(last >= 0, tokens[np.maximum(last, 0)], -1)


def violin_as_cello(tokens: np.ndarray, vocab: Vocabulary) -> np.ndarray:
    """A piece for violin and piano (as written) as one for cello and piano: the violin's
    notes an octave lower, on the cello (whose range holds them: G3-G7 down an octave is
    G2-G6, in C2-E6), the piano as it was. Both roles come after the piano in token order,
    so every onset's groups stay in order. The duo's partner, taught to the cello: the
    chamber corpus has one work for cello and piano, and it is how Brahms made his violin
    sonata Op. 78 a cello sonata."""
    violin = vocab.names.index("PART_violin_1")
    cello = vocab.names.index("PART_cello")
    out = tokens.copy()
    in_violin = part_of_each_token(tokens, vocab) == violin
    out[in_violin] = vocab.transpose_table(-12)[tokens[in_violin]]
    out[tokens == violin] = cello
    return out


@dataclass
class Corpus:
    vocab: Vocabulary
    pieces: List[Piece] = field(default_factory=list)

    # with cello_from_violin, each training piece for violin and piano is read a second
    # time as one for cello and piano (violin_as_cello)
    cello_from_violin: bool = False

    @classmethod
    def read(cls, tokens_dirs, key_frame: bool = False,
             cello_from_violin: bool = False, notes_only=()) -> "Corpus":
        """Every piece of the manifest of a folder, or of each of a list of folders (the
        piano corpus' tokens and the chamber corpus', each keeping its own split). Their
        vocabularies must be one, or starts of the longest (tokens added at the end keep the
        ids of the others), and all written in density mode or none. With `key_frame`, each
        piece is transposed by minus the manifest's `frame_shift` (the tokenizer's key
        estimate, src/key.h) into the frame a key-normalized network composes in: C major or
        A minor. The pieces of the folders in `notes_only` teach their notes but not their
        dynamics (`Piece.dynamics`): songs engraved with a few printed dynamics, whose flat
        velocities would flatten the played pieces' own."""
        folders = [tokens_dirs] if isinstance(tokens_dirs, str) else list(tokens_dirs)
        unknown = set(notes_only) - set(folders)
        if unknown:
            raise ValueError("notes only: %s is none of the token folders"
                             % ", ".join(sorted(unknown)))
        vocabs = [Vocabulary.read(os.path.join(f, "vocab.tsv")) for f in folders]
        vocab = max(vocabs, key=len)
        for folder, other in zip(folders, vocabs):
            if other.names != vocab.names[:len(other)]:
                raise ValueError(
                    "%s: its vocabulary (%d tokens, signature %016x) is not the start of %s's "
                    "(%d tokens, signature %016x); tokenize every folder with the same "
                    "pianola-tokenize" % (folder, len(other), other.signature,
                                          folders[vocabs.index(vocab)], len(vocab),
                                          vocab.signature))
        corpus = cls(vocab, cello_from_violin=cello_from_violin)
        density = {}
        for folder in folders:
            first = len(corpus.pieces)
            corpus._read_folder(folder, key_frame)
            for piece in corpus.pieces[first:]:
                piece.dynamics = folder not in notes_only
            density[folder] = any(np.isin(p.tokens, vocab.density_tokens).any()
                                  for p in corpus.pieces[first:])
        if len(set(density.values())) > 1:
            raise ValueError("%s written with DENSITY tokens, %s without; tokenize them all "
                             "with --density or none" % (
                                 ", ".join(f for f in folders if density[f]),
                                 ", ".join(f for f in folders if not density[f])))
        return corpus

    def _read_folder(self, tokens_dir: str, key_frame: bool) -> None:
        vocab = self.vocab
        manifest = os.path.join(tokens_dir, "manifest.tsv")
        with open(manifest, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                path = os.path.join(tokens_dir, row["tokens"])
                tokens = np.fromfile(path, dtype="<u2").astype(np.int64)
                if len(tokens) < 3:
                    continue
                if tokens.max() >= len(vocab):
                    raise ValueError("%s: token id %d outside the vocabulary of %d"
                                     % (path, tokens.max(), len(vocab)))
                if key_frame and row.get("frame_shift") is None:
                    raise ValueError("%s: no frame_shift column; tokenize the corpus again"
                                     % manifest)
                piece = self._piece(tokens, row, path, key_frame)
                self.pieces.append(piece)
                if self.cello_from_violin and piece.split == "train" and \
                        piece.ensemble == "violin_piano":
                    self.pieces.append(self._piece(violin_as_cello(tokens, vocab), row,
                                                   path + " (as cello)", key_frame))

    def _piece(self, tokens: np.ndarray, row: Dict[str, str], path: str,
               key_frame: bool) -> Piece:
        """A manifest row's piece from its tokens as written."""
        vocab = self.vocab
        frame_shift = int(row.get("frame_shift") or 0)
        # the parts' ranges hold for the pitches as they sound: as written
        shifts = part_shifts(tokens, vocab)
        if key_frame:
            tokens = vocab.transpose_table(-frame_shift)[tokens]
        pitches = vocab.pitch_of[tokens]
        pitches = pitches[pitches >= 0]
        parts = tuple(vocab.names[t][len("PART_"):] for t in declared_parts(tokens, vocab))
        composer = row["composer"]
        if composer not in vocab.composer_class:
            raise ValueError("%s: composer %r is not in the vocabulary" % (path, composer))
        return Piece(tokens=tokens, composer=composer, work=row.get("work", ""),
                     split=row.get("split", "train"), path=path,
                     lowest_pitch=int(pitches.min()) if len(pitches) else 60,
                     highest_pitch=int(pitches.max()) if len(pitches) else 60,
                     notes=len(pitches),
                     frame_shift=frame_shift, parts=parts, ensemble=ensemble_name(parts),
                     part_shifts=shifts)

    def split(self, name: str) -> List[Piece]:
        return [p for p in self.pieces if p.split == name]

    def by_composer(self, name: str, split: str) -> List[Piece]:
        return [p for p in self.pieces if p.split == split and p.composer == name]

    def by_ensemble(self, split: str) -> Dict[str, List[Piece]]:
        """The pieces of the split by ensemble, solo piano first, then by name. An
        ensemble's pieces take turns by composer (each composer's first piece, then each
        one's second...), so a set scored up to a number of tokens hears several composers."""
        found: Dict[str, List[Piece]] = {}
        for piece in self.split(split):
            found.setdefault(piece.ensemble, []).append(piece)

        def in_turns(pieces: List[Piece]) -> List[Piece]:
            count: Dict[str, int] = {}
            turns = []
            for piece in pieces:
                count[piece.composer] = count.get(piece.composer, 0) + 1
                turns.append(count[piece.composer])
            return [p for _, _, p in sorted(zip(turns, range(len(pieces)), pieces))]

        return {name: in_turns(found[name])
                for name in sorted(found, key=lambda name: (name != "solo_piano", name))}


def relabel(tokens: np.ndarray, vocab: Vocabulary, composer: str) -> np.ndarray:
    """The piece's tokens with its COMPOSER token replaced by `composer`'s."""
    out = tokens.copy()
    is_composer = np.isin(out, vocab.composer_tokens)
    out[is_composer] = vocab.composer_tokens[vocab.composer_class[composer]]
    return out


HEADER = 5  # START COMPOSER SOURCE BAR METER


def bar_lines(tokens: np.ndarray, vocab: Vocabulary) -> Tuple[np.ndarray, np.ndarray]:
    """The indices of a piece's BAR tokens, and the METER token in force in each bar (the one
    after that BAR, else the last one before it; -1 before any)."""
    bars = np.nonzero(tokens == vocab.bar)[0]
    is_meter = np.isin(tokens, vocab.meter_tokens)
    last_meter = np.where(is_meter, np.arange(len(tokens)), -1)
    last_meter = np.maximum.accumulate(last_meter) if len(tokens) else last_meter
    after = np.minimum(bars + 1, len(tokens) - 1)
    found = last_meter[after] if len(bars) else np.zeros(0, dtype=np.int64)
    meters = np.where(found >= 0, tokens[np.maximum(found, 0)], -1)
    return bars, meters


def bar_window(tokens: np.ndarray, vocab: Vocabulary, lines: Tuple[np.ndarray, np.ndarray],
               bar: int, span: int) -> np.ndarray:
    """At most `span` tokens of a piece from its bar number `bar` (0 = the first): START, the
    piece's COMPOSER and SOURCE (where it has one), the PART tokens of an ensemble, BAR, the
    meter in force, then the bar's onsets and what follows, as the piece itself would begin
    if it began at that bar line (and as the engine opens an ensemble's music)."""
    bars, meters = lines
    if not len(bars) or meters[bar] < 0:
        return tokens[:span]
    first = bars[bar] + 1
    if first < len(tokens) and tokens[first] == meters[bar]:
        first += 1  # the bar's own meter change is the header's
    composer = tokens[1] if len(tokens) > 1 and tokens[1] in vocab.composer_tokens else \
        vocab.composer_tokens[0]
    source = [tokens[2]] if len(tokens) > 2 and tokens[2] in vocab.source_tokens else []
    parts = list(declared_parts(tokens, vocab))
    header = np.array([vocab.start, composer] + source + parts + [vocab.bar, meters[bar]],
                      dtype=tokens.dtype)
    return np.concatenate([header, tokens[first:first + span - len(header)]])


class WindowSampler:
    """Random training windows: a piece drawn with probability proportional to its length (times
    `composer_weight` for the composers given, `ensemble_weight` for the ensembles given and
    `notes_only_weight` for pieces without dynamics), a window of `length + 1` tokens from a
    random bar line in it (padded with PAD at the end of a short piece), a random transposition
    by a multiple of `shift_step` semitones (12 keeps a key-normalized piece in its key) that
    keeps every note on the piano (and an ensemble's parts in their ranges and registers,
    `Piece.shifts`), and, for the blend's sources (`offered_composers()`), the blend class with
    probability `romantic_p`; an ensemble's window is shown as a composer of the plugin's menu
    with probability `ensemble_composer_p`. Everything is drawn from one seeded generator,
    whose state is the sampler's exact position.

    A window opens as a piece does and as the plugin's context does: START, the composer, BAR
    and the meter in force at that bar line (`bar_window`). Windows from any token, as before,
    rarely held a METER (only those from a piece's start), so the network never learned to
    read one: it learned the chance of a bar line pooled over every meter, 0.09 after an onset
    in the third beat of a 4/4 bar where 4/4 pieces have 0.008 (docs/music-diagnosis.md)."""

    def __init__(self, pieces: List[Piece], vocab: Vocabulary, length: int, seed: int,
                 max_shift: int = 6, romantic_p: float = 0.3,
                 composer_weight: Optional[Dict[str, float]] = None,
                 shift_step: int = 1, classes: Optional[Dict[str, int]] = None,
                 ensemble_weight: Optional[Dict[str, float]] = None,
                 ensemble_composer_p: float = 0.0, notes_only_weight: float = 1.0) -> None:
        if not pieces:
            raise ValueError("no pieces to sample windows from")
        self.pieces = pieces
        self.vocab = vocab
        self.length = length
        self.max_shift = max_shift
        self.shift_step = shift_step
        # the network's class of each manifest composer (a composer of one's own is a class
        # beyond the vocabulary's, `train own`)
        self.classes = classes or vocab.composer_class
        offered = offered_composers() if romantic_p > 0 else OfferedComposers((), (), "", ())
        self.blend = offered.blend if offered.blend in vocab.composer_class else ""
        self.blend_sources = offered.blend_sources if self.blend else ()
        self.romantic_p = romantic_p if self.blend else 0.0
        # The chamber corpus has each ensemble from a few composers only (no Brahms or
        # Schumann violin sonata): shown as any of the menu's composers now and then, an
        # ensemble's parts are learned apart from who wrote it, so every composer of the
        # menu writes for every ensemble.
        self.ensemble_composer_p = ensemble_composer_p
        menu = offered_composers() if ensemble_composer_p > 0 else None
        self.menu = tuple(c for c in (menu.corpus + (menu.blend,) if menu else ())
                          if c in vocab.composer_class)
        weights = np.array([max(1, len(p.tokens) - length) for p in pieces], dtype=np.float64)
        for i, piece in enumerate(pieces):
            weights[i] *= (composer_weight or {}).get(piece.composer, 1.0)
            weights[i] *= (ensemble_weight or {}).get(piece.ensemble, 1.0)
            weights[i] *= 1.0 if piece.dynamics else notes_only_weight
        self.probabilities = weights / weights.sum()
        self.bar_lines = [bar_lines(p.tokens, vocab) for p in pieces]
        self.rng = np.random.default_rng(seed)
        self.tables = {s: vocab.transpose_table(s) for s in range(-max_shift, max_shift + 1)}

    def window(self) -> Tuple[np.ndarray, int, bool]:
        rng = self.rng
        index = int(rng.choice(len(self.pieces), p=self.probabilities))
        piece = self.pieces[index]
        span = self.length + 1
        bars, _ = self.bar_lines[index]
        # a bar line from which a whole window fits, where there is one
        last_start = len(piece.tokens) - span + HEADER - 2
        fitting = max(1, int(np.searchsorted(bars, last_start, "right")))
        bar = int(rng.integers(0, min(fitting, len(bars)))) if len(bars) else 0
        tokens = bar_window(piece.tokens, self.vocab, self.bar_lines[index], bar, span)
        step = self.shift_step
        low, high = piece.shifts(self.max_shift, step)  # in multiples of step
        shift = step * int(rng.integers(low, high + 1)) if high >= low else 0
        composer = piece.composer
        draw = rng.random()
        if composer in self.blend_sources and draw < self.romantic_p:
            composer = self.blend
            tokens = relabel(tokens, self.vocab, composer)
        # drawn for ensemble pieces only, so solo piano windows come as before
        if piece.ensemble != "solo_piano" and self.menu and \
                rng.random() < self.ensemble_composer_p:
            composer = self.menu[int(rng.integers(len(self.menu)))]
            tokens = relabel(tokens, self.vocab, composer)
        tokens = self.tables[shift][tokens] if shift else tokens
        if len(tokens) < span:
            tokens = np.concatenate([tokens, np.full(span - len(tokens), self.vocab.pad)])
        return tokens, self.classes[composer], piece.dynamics

    def batch(self, size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The windows, their composer classes, and the tokens each position learns to
        predict: the window's next token, PAD (not learned) for a VEL token of a piece
        without dynamics (`Piece.dynamics`)."""
        windows = [self.window() for _ in range(size)]
        tokens = np.stack([w[0] for w in windows]).astype(np.int64)
        next_tokens = tokens[:, 1:].copy()
        for row, (_, _, dynamics) in enumerate(windows):
            if not dynamics:
                velocity = np.isin(next_tokens[row], self.vocab.velocity_tokens)
                next_tokens[row, velocity] = self.vocab.pad
        return tokens, np.array([w[1] for w in windows], dtype=np.int64), next_tokens

    def state_dict(self) -> Dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: Dict) -> None:
        self.rng.bit_generator.state = state["rng"]

