"""Training: the loop that turns token files into a composer-conditioned network.

AdamW, dropout, gradient clipping, a learning rate that warms up linearly and then follows a
cosine down to a tenth, validation every `eval_every` steps with early stopping on the
validation loss of the target composers, a progress bar, a CSV log, a loss-curve PNG and
checkpoints that resume exactly: the model, the optimizer, the schedule, the random states of
torch, numpy and Python, and the data position are all saved, so an interrupted run continued
from its checkpoint computes the same losses as one that never stopped.

Either network trains here: the LSTM (`arch="lstm"`, train/model.py) or the transformer
(`arch="transformer"`, train/transformer.py).

Data-parallel: started by `torchrun --nproc_per_node N -m train fit ...` (WORLD_SIZE > 1), every
process draws the same batch from the same sampler and trains on its own share of the rows,
its loss weighted so that DistributedDataParallel's averaged gradient (over gloo) is the
whole batch's: N processes take the same steps as one process on the same batches, up to
the order of floating-point sums. Process 0 writes the log and the checkpoints; every process
evaluates (the same weights give the same figures, so all stop together).

API:
    config = TrainConfig(tokens="...", run_dir="...", ckpt_dir="...", ...)
    result = fit(config)    # {"steps", "best_val", "best_step", "losses", "stopped"}
    score_pieces(model, pieces, vocab, composer_class) -> (nll_nats, scored_tokens, notes)
    throughput(vocab_size, n_composers, embed, hidden, layers, batch, length,
               arch="lstm") -> (tokens/s, parameters); for the transformer embed is the
               dimension, hidden the heads, and length the context

Checkpoints: `<ckpt_dir>/last.pt` (everything, for resuming) and `<ckpt_dir>/best.pt` (the
best validation weights, for export). A run with an existing last.pt resumes from it.
"""
import csv
import math
import os
import random
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from train.data import (Corpus, Piece, Vocabulary, WindowSampler, offered_composers,
                        relabel)
from train.model import (DENSITY_FIRST_TOKEN, DENSITY_STEPS, PART_FIRST_TOKEN, PART_ROLES,
                         PianolaLSTM, describe, parameter_count)


@dataclass
class TrainConfig:
    tokens: Union[str, Tuple[str, ...]]  # the tokenizer's output folder (manifest.tsv,
                                      # vocab.tsv), or several (Corpus.read)
    run_dir: str                      # log.csv, loss.png
    ckpt_dir: str                     # last.pt, best.pt
    embed: int = 128
    hidden: int = 384
    layers: int = 2
    arch: str = "lstm"                # "lstm" (train/model.py) or "transformer" (transformer.py)
    dim: int = 256                    # transformer: the model dimension (embed/hidden: LSTM)
    heads: int = 4                    # transformer: attention heads
    context: int = 1024               # transformer: positions each token sees (sliding window)
    feed_forward: int = 0             # transformer: MLP width (0 = 4 x dim)
    dropout: float = 0.2
    batch: int = 32
    length: int = 256                 # tokens per training window
    lr: float = 3e-3
    weight_decay: float = 0.01
    density_lr_scale: float = 10.0    # the density embedding's learning rate, times --lr
    warmup: int = 200                 # steps of linear warm-up
    steps: int = 10000                # length of the cosine schedule, and the most steps
    clip: float = 1.0                 # gradient norm clipping
    eval_every: int = 250
    log_every: int = 25
    patience: int = 6                 # evaluations without improvement before stopping
    seed: int = 1
    key_frame: int = 1                # 1: learn every piece in C major / A minor (src/key.h)
    max_shift: int = 12               # transposition augmentation, semitones either way
                                      # (whole octaves only with key_frame, keeping the key)
    romantic_p: float = 0.3
    target_weight: float = 2.0        # sampling weight of the target composers' pieces
    ensemble_weight: str = ""         # sampling weights of ensembles' pieces, times their
                                      # length: "string_quartet=0.5,violin_piano=2"
    ensemble_composer_p: float = 0.0  # an ensemble window presented as a composer of the
                                      # plugin's menu, drawn at random, with this probability
    cello_from_violin: int = 0        # 1: each training piece for violin and piano teaches
                                      # cello and piano too, its violin an octave lower
    val_tokens: int = 60000           # at most this many validation tokens per composer
    notes_only: Tuple[str, ...] = ()  # token folders (of `tokens`) whose pieces teach their
                                      # notes but not their dynamics (Corpus.read)
    notes_only_weight: float = 1.0    # sampling weight of those pieces, times their length
    max_minutes: float = 0.0          # stop (with a checkpoint) after this much training time
    stop_at: float = 0.0              # stop (with a checkpoint) at this Unix time
    halt_after: int = 0               # stop (with a checkpoint) after this many steps now
    init: str = ""                    # start from these weights (.pnm) instead of at random
    targets: Tuple[str, ...] = ()     # early stopping on these; () = the offered composers
    device: str = "cpu"               # "cuda" trains on a GPU where there is one
    # A composer of one's own (`train own`): every piece is taught to a new class called by
    # this display name, grown from the class `like` (or one of that name the init model has
    # already); "" trains the vocabulary's classes as the manifest names them.
    new_composer: str = ""
    like: str = ""
    quiet: bool = False


class Progress:
    """A one-line progress bar on a terminal; on a log file, a line every `every` seconds."""

    def __init__(self, total: int, start: int = 0, every: float = 60.0,
                 quiet: bool = False) -> None:
        self.total, self.count, self.every, self.quiet = total, start, every, quiet
        self.began, self.first, self.last_print = time.time(), start, 0.0
        self.tty = sys.stderr.isatty()

    def update(self, count: int, text: str) -> None:
        self.count = count
        now = time.time()
        if self.quiet or (not self.tty and now - self.last_print < self.every):
            return
        self.last_print = now
        rate = (count - self.first) / max(1e-9, now - self.began)
        left = (self.total - count) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * count / max(1, self.total))
        line = "[%s%s] %d/%d %s %.2f it/s, %d:%02d left" % (
            "#" * filled, "." * (width - filled), count, self.total, text, rate,
            left // 60, left % 60)
        if self.tty:
            sys.stderr.write("\r" + line + "\033[K")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\n")


def learning_rate_factor(step: int, warmup: int, steps: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))


def score_pieces(model: PianolaLSTM, pieces: Sequence[Piece], vocab: Vocabulary,
                 composer_class: Optional[int] = None, chunk: int = 512, batch: int = 16,
                 max_tokens: int = 0) -> Tuple[float, int, int]:
    """Negative log-likelihood (nats, summed) of the pieces under the model, with the number
    of tokens and notes scored. Every token after the COMPOSER token is scored, from the start
    of its piece with the state carried through; the COMPOSER token itself is the
    conditioning, not a prediction. With `composer_class`, every piece is presented as that
    composer (its COMPOSER token relabelled too). With `max_tokens`, pieces are taken in order
    until that many tokens are scored (the last one cut)."""
    sequences = []
    total = 0
    for piece in pieces:
        tokens = piece.tokens
        cls = vocab.composer_class[piece.composer]
        if composer_class is not None:
            cls = composer_class
            if cls < len(vocab.composers):  # a class of one's own keeps the piece's token
                tokens = relabel(tokens, vocab, vocab.composers[cls])
        if max_tokens and total + len(tokens) > max_tokens:
            tokens = tokens[:max(3, max_tokens - total)]
        sequences.append((tokens, cls))
        total += len(tokens)
        if max_tokens and total >= max_tokens:
            break
    sequences.sort(key=lambda s: len(s[0]))
    nll, scored_tokens, notes = 0.0, 0, 0
    device = next(model.parameters()).device
    pitch_of = torch.from_numpy(vocab.pitch_of)
    model.eval()
    with torch.no_grad():
        for first in range(0, len(sequences), batch):
            group = sequences[first:first + batch]
            longest = max(len(s[0]) for s in group)
            tokens = np.full((len(group), longest), vocab.pad, dtype=np.int64)
            for row, (seq, _) in enumerate(group):
                tokens[row, :len(seq)] = seq
            tokens_t = torch.from_numpy(tokens).to(device)
            composers = torch.tensor([cls for _, cls in group], dtype=torch.int64,
                                     device=device)
            inputs, targets = tokens_t[:, :-1], tokens_t[:, 1:].clone()
            targets[:, 0] = vocab.pad          # the COMPOSER token: conditioning, not scored
            state = None
            for offset in range(0, inputs.shape[1], chunk):
                logits, state = model(inputs[:, offset:offset + chunk], composers, state)
                target = targets[:, offset:offset + chunk]
                losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                         target.reshape(-1), reduction="none")
                mask = target.reshape(-1) != vocab.pad
                nll += float(losses[mask].sum())
                scored_tokens += int(mask.sum())
                notes += int((pitch_of[target.reshape(-1).cpu()] >= 0).sum())
    return nll, scored_tokens, notes


def ensemble_weights(text: str) -> Dict[str, float]:
    """--ensemble-weight's "NAME=WEIGHT,..." as a dictionary."""
    weights = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise ValueError("--ensemble-weight: %r is not NAME=WEIGHT" % item) from None
    return weights


def validation_sets(corpus: Corpus, targets: Sequence[str]) -> Dict[str, Tuple[List[Piece],
                                                                              Optional[int]]]:
    """The validation pieces scored during training: each target composer's own, the
    Romantic blend (the blend sources' pieces presented as the blend class), each ensemble's
    when the split holds pieces with parts (`Corpus.by_ensemble`: solo_piano,
    string_quartet, ...), and all."""
    vocab = corpus.vocab
    offered = offered_composers()
    sets: Dict[str, Tuple[List[Piece], Optional[int]]] = {}
    for name in targets:
        pieces = corpus.by_composer(name, "validation")
        if pieces:
            sets[name] = (pieces, None)
    blend = [p for p in corpus.split("validation") if p.composer in offered.blend_sources]
    if blend and offered.blend in vocab.composer_class:
        sets[offered.blend] = (blend, vocab.composer_class[offered.blend])
    ensembles = corpus.by_ensemble("validation")
    if set(ensembles) - {"solo_piano"}:
        for name, pieces in ensembles.items():
            sets[name] = (pieces, None)
    sets["all"] = (corpus.split("validation"), None)
    return sets


def evaluate_sets(model: PianolaLSTM, sets, vocab: Vocabulary, targets: Sequence[str],
                  max_tokens: int) -> Dict[str, float]:
    """Validation loss (nats per token) of every set, and `target`: the token-weighted loss
    of the target composers (or of `all` when the corpus has none of them)."""
    result: Dict[str, float] = {}
    total_nll, total_tokens = 0.0, 0
    for name, (pieces, cls) in sets.items():
        if not pieces:
            continue
        cap = max_tokens * (2 if name == "all" else 1)
        nll, scored_tokens, _ = score_pieces(model, pieces, vocab, cls, max_tokens=cap)
        result[name] = nll / max(1, scored_tokens)
        if name in targets:
            total_nll += nll
            total_tokens += scored_tokens
    result["target"] = total_nll / total_tokens if total_tokens else \
        result.get("all", float("nan"))
    return result


def plot_log(csv_path: str, png_path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    figure, axes = plt.subplots(figsize=(9, 5))
    steps = [int(r["step"]) for r in rows]
    axes.plot(steps, [float(r["train_loss"]) for r in rows], label="train", color="0.6", lw=1)
    for column in rows[0]:
        if column.startswith("val_"):
            points = [(int(r["step"]), float(r[column])) for r in rows if r[column]]
            if points:
                axes.plot(*zip(*points), marker="o", ms=3,
                          label=column[4:].replace("target", "targets (early stopping)"))
    axes.set_xlabel("step")
    axes.set_ylabel("loss (nats per token)")
    axes.set_title("Pianola training")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(png_path, dpi=100)
    plt.close(figure)


def _save(path: str, payload: Dict) -> None:
    temporary = path + ".tmp"
    torch.save(payload, temporary)
    os.replace(temporary, path)


def _rng_states() -> Dict:
    states = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
              "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: Dict) -> None:
    torch.set_rng_state(states["torch"].cpu())
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([state.cpu() for state in states["cuda"]])


def vocabulary_prefix_signature(vocab: Vocabulary, count: int) -> int:
    """The signature the vocabulary's first `count` tokens alone would have (64-bit FNV-1a
    over each name and a newline, as src/vocabulary.c computes it)."""
    value = 0xCBF29CE484222325
    for name in vocab.names[:count]:
        for byte in (name + "\n").encode("ascii"):
            value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def build_model(config: TrainConfig, vocab: Vocabulary,
                classes: Optional[Dict] = None) -> torch.nn.Module:
    if config.arch == "transformer":
        if classes is not None:
            raise ValueError("a composer of one's own starts from an LSTM model; the "
                             "transformer does not grow composers yet")
        return build_transformer(config, vocab)
    if config.arch != "lstm":
        raise ValueError("unknown architecture %r (lstm or transformer)" % config.arch)
    if config.init:
        from train.export import read_weights
        model, meta = read_weights(config.init)
        if classes is not None:
            return grow_composers(model, classes, config.dropout)
        grown = model.vocab_size < len(vocab) and \
            vocabulary_prefix_signature(vocab, model.vocab_size) == meta["signature"]
        if meta["signature"] != vocab.signature and not grown:
            raise ValueError("%s: vocabulary signature %016x, the tokens have %016x"
                             % (config.init, meta["signature"], vocab.signature))
        density, parts = density_conditioned(vocab), parts_conditioned(vocab)
        fresh = PianolaLSTM(len(vocab), len(vocab.composers), model.embed, model.hidden,
                            model.layers, config.dropout, density, parts)
        # A conditioning the network grows into starts at zero: the grown network begins as
        # the one it grew from, and learns what each density step or part adds.
        with torch.no_grad():
            if density and model.density_embedding is None:
                fresh.density_embedding.weight.zero_()
            if parts and model.part_embedding is None:
                fresh.part_embedding.weight.zero_()
        # The vocabulary may have gained tokens after the old ones (ids kept): the old rows
        # carry over, the new tokens start from fresh rows and an output bias that makes them
        # as unlikely as the rarest old token until training says otherwise.
        old = model.vocab_size
        state = fresh.state_dict()
        for name, tensor in model.state_dict().items():
            if name in ("token_embedding.weight", "output.weight", "output.bias") and grown:
                state[name][:old] = tensor
                if name == "output.bias":
                    state[name][old:] = tensor.min()
                elif name == "output.weight":
                    state[name][old:] = 0.0
            else:
                state[name] = tensor
        fresh.load_state_dict(state)
        return fresh
    return PianolaLSTM(len(vocab), len(classes["composers"] if classes else vocab.composers),
                       config.embed, config.hidden, config.layers, config.dropout,
                       density_conditioned(vocab), parts_conditioned(vocab))


def parameter_groups(model: torch.nn.Module, config: TrainConfig) -> List[Dict]:
    """The optimizer's groups: the conditioning embeddings (density steps, parts) learn
    `density_lr_scale` times faster. They start at zero in a grown network; at the network's
    own rate the density rows had reached a norm of 0.2-0.6 after 200 steps, where the token
    and composer embeddings have 10-11, and the network composed nearly as busily at every
    step."""
    conditioning = [module for module in (getattr(model, "density_embedding", None),
                                          getattr(model, "part_embedding", None))
                    if module is not None]
    if not conditioning or config.density_lr_scale == 1.0:
        return [{"params": list(model.parameters())}]
    fast = [p for module in conditioning for p in module.parameters()]
    own = {id(p) for p in fast}
    return [{"params": [p for p in model.parameters() if id(p) not in own]},
            {"params": fast, "lr": config.lr * config.density_lr_scale}]


def density_conditioned(vocab: Vocabulary) -> bool:
    """Whether an LSTM for these tokens hears the density step at every step: whenever the
    tokens carry the DENSITY family (a token naming it once a bar went unheeded,
    docs/training.md "Stage 4")."""
    if not vocab.density_tokens:
        return False
    if vocab.density_tokens != list(range(DENSITY_FIRST_TOKEN, DENSITY_FIRST_TOKEN + DENSITY_STEPS)):
        raise ValueError("the DENSITY tokens are ids %s, the network's conditioning expects "
                         "%d..%d" % (vocab.density_tokens, DENSITY_FIRST_TOKEN,
                                     DENSITY_FIRST_TOKEN + DENSITY_STEPS - 1))
    return True


def parts_conditioned(vocab: Vocabulary) -> bool:
    """Whether an LSTM for these tokens hears the parts in force at every step: whenever the
    tokens carry the PART family (an ensemble declared once, in a piece's header, faded from
    the network's memory: docs/training.md, "Stage 5")."""
    parts = [i for i, name in enumerate(vocab.names) if name.startswith("PART_")]
    if not parts:
        return False
    if parts != list(range(PART_FIRST_TOKEN, PART_FIRST_TOKEN + PART_ROLES)):
        raise ValueError("the PART tokens are ids %s, the network's conditioning expects "
                         "%d..%d" % (parts, PART_FIRST_TOKEN, PART_FIRST_TOKEN + PART_ROLES - 1))
    return True


def grow_composers(model: PianolaLSTM, classes: Dict, dropout: float) -> PianolaLSTM:
    """The init network with room for the classes of `own_classes` (train/own.py): a new
    class starts as a copy of the row of the class it is like, so before training it composes
    exactly as that one."""
    names = classes["composers"]
    grown = PianolaLSTM(model.vocab_size, len(names), model.embed, model.hidden, model.layers,
                        dropout, model.density_embedding is not None,
                        model.part_embedding is not None)
    state = grown.state_dict()
    for name, tensor in model.state_dict().items():
        if name == "composer_embedding.weight":
            state[name][:len(tensor)] = tensor
            for k in range(len(tensor), len(names)):
                state[name][k] = tensor[classes["openers"][k]]
        else:
            state[name] = tensor
    grown.load_state_dict(state)
    return grown


def build_transformer(config: TrainConfig, vocab: Vocabulary) -> torch.nn.Module:
    from train.transformer import PianolaTransformer
    fresh = PianolaTransformer(len(vocab), len(vocab.composers), config.dim, config.heads,
                               config.layers, config.context, config.feed_forward,
                               config.dropout)
    if config.init:
        from train.export import read_weights
        model, meta = read_weights(config.init)
        if meta["signature"] != vocab.signature or not isinstance(model, PianolaTransformer):
            raise ValueError("%s: not a transformer for this vocabulary" % config.init)
        fresh = PianolaTransformer(len(vocab), len(vocab.composers), model.dim, model.heads,
                                   model.layers, model.context, model.feed_forward,
                                   config.dropout, model.norm_eps)
        fresh.load_state_dict(model.state_dict())
    return fresh


def fit(config: TrainConfig) -> Dict:
    torch.set_num_threads(1)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("gloo")
    writes = rank == 0
    os.makedirs(config.run_dir, exist_ok=True)
    os.makedirs(config.ckpt_dir, exist_ok=True)
    quiet = config.quiet or not writes
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))

    corpus = Corpus.read(config.tokens, key_frame=bool(config.key_frame),
                         cello_from_violin=bool(config.cello_from_violin),
                         notes_only=config.notes_only)
    vocab = corpus.vocab
    classes = None
    if config.new_composer:
        from train.export import read_weights
        from train.own import own_classes, teach_pieces
        bundled = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               "models", "pianola.pnm")
        classes = own_classes(read_weights(config.init or bundled)[1], vocab,
                              config.new_composer, config.like)
        teach_pieces(corpus, classes)
    train_pieces = corpus.split("train")
    targets = config.targets or offered_composers().corpus
    weights = {name: config.target_weight for name in targets}
    ensemble_weight = ensemble_weights(config.ensemble_weight)
    unknown = set(ensemble_weight) - {p.ensemble for p in train_pieces}
    if unknown:
        raise ValueError("--ensemble-weight: no training pieces of %s (there are %s)" % (
            ", ".join(sorted(unknown)), ", ".join(sorted({p.ensemble for p in train_pieces}))))
    sampler = WindowSampler(train_pieces, vocab, config.length, config.seed,
                            config.max_shift, config.romantic_p, weights,
                            shift_step=12 if config.key_frame else 1,
                            classes=classes["class_of"] if classes else None,
                            ensemble_weight=ensemble_weight,
                            ensemble_composer_p=config.ensemble_composer_p,
                            notes_only_weight=config.notes_only_weight)
    sets = validation_sets(corpus, targets)
    if classes:
        own = classes["composers"][classes["index"]]
        sets = {own: (corpus.split("validation"), classes["index"])}
        targets = (own,)

    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    device = torch.device(config.device)
    model = build_model(config, vocab, classes).to(device)
    # A network grown from one of an earlier vocabulary keeps it when it is not grown (a
    # composer of one's own from a model before the DENSITY tokens): its files say so.
    signature = vocab.signature if model.vocab_size == len(vocab) else \
        vocabulary_prefix_signature(vocab, model.vocab_size)
    names = {"composers": classes["composers"] if classes else vocab.composers,
             "choices": classes["choices"] if classes else None,
             "openers": classes["openers"] if classes else None}
    trained = model
    if world > 1:
        trained = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.AdamW(parameter_groups(model, config), lr=config.lr,
                                  weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: learning_rate_factor(s, config.warmup, config.steps))

    last_path = os.path.join(config.ckpt_dir, "last.pt")
    best_path = os.path.join(config.ckpt_dir, "best.pt")
    log_path = os.path.join(config.run_dir, "log.csv")
    step, best_val, best_step, waited, elapsed = 0, float("inf"), 0, 0, 0.0
    if os.path.exists(last_path):
        saved = torch.load(last_path, map_location=device)
        if (saved["model_config"] != model.config()
                or saved["signature"] != signature):
            raise ValueError("%s: a checkpoint of another model or vocabulary" % last_path)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        sampler.load_state_dict(saved["sampler"])
        _set_rng_states(saved["rng"])
        step, best_val, best_step = saved["step"], saved["best_val"], saved["best_step"]
        waited, elapsed = saved["waited"], saved["elapsed"]
        say("resuming from %s at step %d (best validation %.4f at step %d)"
            % (last_path, step, best_val, best_step))
    columns = ["step", "tokens", "elapsed_s", "lr", "train_loss"] + \
        ["val_" + name for name in list(sets) + ["target"]]
    # Keep the log in step with the checkpoint: rows written after it are dropped.
    rows = []
    if os.path.exists(log_path) and step > 0:
        with open(log_path, encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
    if writes:
        with open(log_path, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    say("model: %s, vocabulary %d, %d composers%s"
        % (describe(model), len(vocab), len(vocab.composers),
           ", %d processes" % world if world > 1 else ""))
    say("data: %d training pieces (%d tokens), validation sets %s"
        % (len(train_pieces), sum(len(p.tokens) for p in train_pieces),
           ", ".join("%s %d" % (k, len(v[0])) for k, v in sets.items())))
    shares: Dict[str, float] = {}
    for piece, probability in zip(train_pieces, sampler.probabilities):
        shares[piece.ensemble] = shares.get(piece.ensemble, 0.0) + probability
    if set(shares) - {"solo_piano"}:
        say("windows by ensemble: %s" % ", ".join(
            "%s %.1f%%" % (name, 100 * share) for name, share in sorted(shares.items())))

    def checkpoint() -> None:
        if not writes:
            return
        _save(last_path, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(), "sampler": sampler.state_dict(),
            "rng": _rng_states(), "step": step, "best_val": best_val, "best_step": best_step,
            "waited": waited, "elapsed": elapsed, "model_config": model.config(),
            "signature": signature, **names, "config": asdict(config)})

    stop = {"signal": None}

    def on_signal(number, _frame) -> None:
        stop["signal"] = number

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    progress = Progress(config.steps, step, quiet=quiet)
    losses: List[float] = []
    running, running_count = 0.0, 0
    began, steps_now, reason = time.time(), 0, "finished the schedule"
    try:
        while step < config.steps:
            model.train()
            batch, composers, next_tokens = sampler.batch(config.batch)
            batch_t = torch.from_numpy(batch).to(device)
            composers_t = torch.from_numpy(composers).to(device)
            next_t = torch.from_numpy(next_tokens).to(device)
            if world == 1:
                logits, _ = trained(batch_t[:, :-1], composers_t)
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                       next_t.reshape(-1), ignore_index=vocab.pad)
            else:
                loss, whole_loss = _share_of_loss(trained, batch_t, composers_t, next_t,
                                                  vocab.pad, rank, world)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            schedule.step()
            step += 1
            steps_now += 1
            value = float(loss) if world == 1 else whole_loss
            losses.append(value)
            running += value
            running_count += 1
            now_elapsed = elapsed + time.time() - began
            progress.update(step, "loss %.3f" % value)

            evaluated = step % config.eval_every == 0 or step == config.steps
            if step % config.log_every == 0 or evaluated:
                row = {"step": step, "tokens": step * config.batch * config.length,
                       "elapsed_s": "%.1f" % now_elapsed,
                       "lr": "%.6g" % schedule.get_last_lr()[0],
                       "train_loss": "%.5f" % (running / running_count)}
                running, running_count = 0.0, 0
                if evaluated:
                    val = evaluate_sets(model, sets, vocab, targets, config.val_tokens)
                    row.update({"val_" + k: "%.5f" % v for k, v in val.items()})
                    say("step %d: train %s, validation %s" % (step, row["train_loss"], ", ".join(
                        "%s %.4f" % (k, v) for k, v in val.items())))
                    # with no validation pieces at all, the latest weights are the best
                    if math.isnan(val["target"]) or val["target"] < best_val:
                        if not math.isnan(val["target"]):
                            best_val = val["target"]
                        best_step, waited = step, 0
                        if writes:
                            _save(best_path, {"model": model.state_dict(), "step": step,
                                              "val": val, "model_config": model.config(),
                                              "signature": signature, **names,
                                              "config": asdict(config)})
                    else:
                        waited += 1
                if writes:
                    with open(log_path, "a", encoding="utf-8", newline="") as f:
                        csv.DictWriter(f, columns, extrasaction="ignore").writerow(row)
                if evaluated:
                    elapsed_now = elapsed + time.time() - began
                    began, elapsed = time.time(), elapsed_now
                    checkpoint()
                    if writes:
                        plot_log(log_path, os.path.join(config.run_dir, "loss.png"))
                    if waited >= config.patience:
                        reason = "early stopping: no improvement in %d evaluations" % waited
                        break
            now_elapsed = elapsed + time.time() - began
            halt = None
            if stop["signal"] is not None:
                halt = "stopped by signal %d" % stop["signal"]
            elif config.halt_after and steps_now >= config.halt_after:
                halt = "halted after %d steps" % steps_now
            elif config.max_minutes and now_elapsed >= 60 * config.max_minutes:
                halt = "time limit of %g minutes" % config.max_minutes
            elif config.stop_at and time.time() >= config.stop_at:
                halt = "reached the stop time"
            if world > 1:
                # Process 0's clock and signals decide for all, so all stop at one step.
                flag = torch.tensor([1 if halt else 0])
                torch.distributed.broadcast(flag, 0)
                halt = (halt or "stopped with process 0") if int(flag) else None
            if halt:
                elapsed, began = now_elapsed, time.time()
                checkpoint()
                reason = halt
                break
        else:
            elapsed, began = elapsed + time.time() - began, time.time()
            checkpoint()
    finally:
        progress.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    if writes and os.path.exists(log_path):
        plot_log(log_path, os.path.join(config.run_dir, "loss.png"))
    say("%s at step %d after %.1f minutes; best validation %.4f nats/token at step %d"
        % (reason, step, elapsed / 60, best_val, best_step))
    return {"steps": step, "best_val": best_val, "best_step": best_step, "losses": losses,
            "stopped": reason, "elapsed": elapsed}


def _share_of_loss(trained: torch.nn.Module, batch: torch.Tensor, composers: torch.Tensor,
                   next_tokens: torch.Tensor, pad: int, rank: int,
                   world: int) -> Tuple[torch.Tensor, float]:
    """This process's rows of the batch: the loss to differentiate (its summed token losses
    over the whole batch's token count, times the processes, which DistributedDataParallel's
    gradient average divides out again) and the whole batch's mean loss."""
    rows = batch.shape[0]
    mine = slice(rank * rows // world, (rank + 1) * rows // world)
    counted = int((next_tokens != pad).sum())
    logits, _ = trained(batch[mine, :-1], composers[mine])
    summed = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                             next_tokens[mine].reshape(-1), ignore_index=pad, reduction="sum")
    total = summed.detach().clone()
    torch.distributed.all_reduce(total)
    return summed * world / counted, float(total) / counted


def throughput(vocab_size: int, n_composers: int, embed: int, hidden: int, layers: int,
               batch: int, length: int, repeats: int = 3,
               arch: str = "lstm") -> Tuple[float, int]:
    """Training tokens per second on one thread (forward, backward and an AdamW step on a
    full batch), and the parameter count. For the transformer `embed` is the dimension,
    `hidden` the heads, and the context is `length`."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    if arch == "transformer":
        from train.transformer import PianolaTransformer
        model = PianolaTransformer(vocab_size, n_composers, embed, hidden, layers, length,
                                   dropout=0.1)
    else:
        model = PianolaLSTM(vocab_size, n_composers, embed, hidden, layers, 0.2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    tokens = torch.randint(1, vocab_size, (batch, length + 1))
    composers = torch.randint(0, n_composers, (batch,))
    timings = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        logits, _ = model(tokens[:, :-1], composers)
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), tokens[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        timings.append(time.perf_counter() - began)
    return batch * length / min(timings[1:]), parameter_count(model)
