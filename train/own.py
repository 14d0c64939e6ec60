"""A model of your own composer: a folder of MIDI files in, a `.pnm` file out.

`pianola-tokenize` reads a corpus through a catalog (columns source, composer, file, work);
for a folder of your own files this module writes one (each file its own work, so the
tokenizer can hold about a tenth of them out for validation), tokenizes the folder with it,
and fine-tunes the bundled network on the result, teaching your music to a composer class of
its own, `--name` (a display name such as "Satie" or "Érik Satie"). The class is new: the
network grows a row of its composer embedding for it, started as a copy of the class whose
style is nearest your pieces (the lowest loss on them, or `--like NAME`), and your pieces
open with that class's COMPOSER_ token, the vocabulary having none of its own. The weights
file declares it (docs/weights-format.md, the composer choices): the built-in choices and
then yours, so the plugin's menu, `pianola-render --model FILE --composer Satie` and
`pianola-generate` find it by name.

API:
    write_catalog(midi_dir, composer, path) -> number of MIDI files listed
    class_id(label) -> the ASCII class name of a display name ("Érik Satie" -> "erik_satie")
    own_classes(init_meta, vocab, label, like) -> {"composers", "openers", "choices",
                                                   "index", "like", "class_of"}
    teach_pieces(corpus, classes) -> None   # every piece becomes the new class's
    nearest_class(model, pieces, vocab, max_tokens) -> (name, {name: nats per token})
"""
import os
import re
import unicodedata
from typing import Dict, List, Tuple

from train.data import Corpus, Piece, Vocabulary, offered_composers, relabel


def write_catalog(midi_dir: str, composer: str, path: str) -> int:
    files = []
    for folder, _, names in os.walk(midi_dir):
        for name in names:
            if name.lower().endswith((".mid", ".midi")):
                files.append(os.path.relpath(os.path.join(folder, name), midi_dir))
    files.sort()
    if not files:
        raise SystemExit("%s: no MIDI files (.mid, .midi) in the folder" % midi_dir)
    with open(path, "w", encoding="utf-8") as f:
        f.write("source\tcomposer\tfile\twork\n")
        for name in files:
            if "\t" in name or "\n" in name:
                raise SystemExit("%s: a tab or newline in the file name" % name)
            work = "own:" + os.path.splitext(name)[0]
            f.write("own\t%s\t%s\t%s\n" % (composer, name, work))
    return len(files)


def class_id(label: str) -> str:
    """The class name a display name is saved under: ASCII letters, digits and `_`, at most
    31 bytes ("Érik Satie" -> "erik_satie"); "own" when nothing of it is ASCII."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:31].rstrip("_")
    return name or "own"


def _base_choices(meta: Dict) -> List[Tuple[int, str]]:
    """The init model's choices: its own, or the built-in ones it has."""
    if meta["choices"]:
        return list(meta["choices"])
    offered = offered_composers()
    names = meta["composer_names"]
    return [(names.index(n), label) for n, label in zip(offered.choices, offered.labels)
            if n in names]


def own_classes(meta: Dict, vocab: Vocabulary, label: str, like: str) -> Dict:
    """The classes of the network `train own` makes from the init model's (meta, as
    read_weights gives it): the same, plus `label`'s (new, or the one of that name an own
    model already has), grown from `like`."""
    from train.export import check_label
    try:
        check_label(label)
    except ValueError as error:
        raise SystemExit("--name: %s" % error)
    names = list(meta["composer_names"])
    openers = list(meta["openers"])
    choices = _base_choices(meta)
    ident = class_id(label)
    taken = {lbl.casefold(): cls for cls, lbl in choices}
    builtin = set(vocab.composers)
    if ident in builtin or (label.casefold() in taken and names[taken[label.casefold()]]
                            in builtin):
        raise SystemExit("--name %s: a built-in composer of the vocabulary; your composer is "
                         "added beside them, so give it a name of its own" % label)
    if ident in names:  # an own class of the init model, taught further
        index = names.index(ident)
        like = names[openers[index]]
        choices = [(c, lbl) for c, lbl in choices if c != index]
    else:
        if like not in vocab.composer_class or like not in names:
            raise SystemExit("--like %s: not a composer class of the model (%s)"
                             % (like, " ".join(n for n in names if n in builtin)))
        index = len(names)
        names.append(ident)
        openers.append(names.index(like))
    if len(choices) >= 32:
        raise SystemExit("the model offers 32 composers already, the most a file holds")
    choices.append((index, label))
    class_of = dict(vocab.composer_class)
    class_of[like] = index
    return {"composers": names, "openers": openers, "choices": choices, "index": index,
            "like": like, "class_of": class_of}


def teach_pieces(corpus: Corpus, classes: Dict) -> None:
    """Every piece of the corpus opens as the class it is like and is taught to the new
    class (WindowSampler's `classes`)."""
    like = classes["like"]
    for piece in corpus.pieces:
        piece.tokens = relabel(piece.tokens, corpus.vocab, like)
        piece.composer = like


def nearest_class(model, pieces: List[Piece], vocab: Vocabulary,
                  max_tokens: int = 4000) -> Tuple[str, Dict[str, float]]:
    """The vocabulary class under which the network finds the pieces likeliest (nats per
    token over at most `max_tokens` tokens): the style a new class starts from."""
    from train.train import score_pieces
    losses = {}
    for cls, name in enumerate(vocab.composers):
        if cls >= model.n_composers:
            break
        nll, scored, _ = score_pieces(model, pieces, vocab, cls, max_tokens=max_tokens)
        losses[name] = nll / max(1, scored)
    return min(losses, key=losses.get), losses
