"""The network Pianola plays: an LSTM that predicts the next token from the ones before,
conditioned on a composer.

It is exactly the computation docs/weights-format.md describes and the C engine (src/lstm.c)
repeats step by step:

    input_0 = token_embedding[x] + composer_embedding[c] (+ density_embedding[d])
                                                        (+ sum of part_embedding[r], r in P)
    for each layer l: (h_l, c_l) = LSTMCell(input_l, h_l, c_l); input_{l+1} = h_l
    logits  = output.weight @ h_{L-1} + output.bias

d is the density step in force (docs/weights-format.md, "Density conditioning"): 0 before any
DENSITY token, else 1 + the step of the last DENSITY token read, that token included. A
DENSITY token names the density of the bar it opens, but only once; added to every step's input,
as the composer is, the network hears it at every note it writes, and obeys it.

P is the set of parts in force (docs/weights-format.md, "Parts conditioning"): the roles of
every PART token read so far, that token included; a piece declares its ensemble's roles
right after COMPOSER, so from there on every step hears the whole ensemble. Declared once, the
ensemble faded from the network's memory: the cello of Cello and piano fell silent for good
after a few bars of piano alone.

API:
    model = PianolaLSTM(vocab_size, n_composers, embed, hidden, layers, dropout=0.0,
                        density=False, parts=False)
    logits, state = model(tokens[B, T] (int64), composer[B] (int64), state=None)
        logits: [B, T, V]; state: (h, c), each [layers, B, hidden], then with density
        conditioning the step in force [B], then with parts conditioning the parts in force
        [B, PART_ROLES] (1.0 for a role heard)
    logits, state = model.step(token[B], composer[B], state=None)   # one token; logits [B, V]
    model.config() -> dict of the constructor's arguments

Dropout (between LSTM layers and before the output layer) acts only in training mode.
"""
from typing import Dict, Optional, Tuple

import torch
from torch import nn

State = Tuple[torch.Tensor, ...]

# The DENSITY tokens' ids (src/vocabulary.h): the conditioning's rows 1..5 are theirs.
DENSITY_FIRST_TOKEN = 430
DENSITY_STEPS = 5
# The PART tokens' ids, one per role in src/parts.h's order (piano, violin_1, violin_2, viola,
# cello, melody): part_embedding's rows.
PART_FIRST_TOKEN = 435
PART_ROLES = 6


def density_in_force(tokens: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
    """[B, T] the density row at every position: 1 + the step of the last DENSITY token at or
    before it, else `before` [B] (the row in force before the window; 0 at a piece's start)."""
    step = tokens - (DENSITY_FIRST_TOKEN - 1)
    is_density = (step >= 1) & (step <= DENSITY_STEPS)
    positions = torch.arange(tokens.shape[1], device=tokens.device).expand_as(tokens)
    last = torch.where(is_density, positions, torch.full_like(positions, -1))
    last = torch.cummax(last, dim=1).values
    found = torch.gather(step, 1, last.clamp(min=0))
    return torch.where(last >= 0, found, before.view(-1, 1).expand_as(tokens))


def parts_in_force(tokens: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
    """[B, T, PART_ROLES] 1.0 where a role's PART token was read at or before the position, or
    the role is in `before` [B, PART_ROLES] (the parts in force before the window)."""
    roles = torch.arange(PART_FIRST_TOKEN, PART_FIRST_TOKEN + PART_ROLES, device=tokens.device)
    read = (tokens.unsqueeze(-1) == roles).to(torch.float32)
    heard = torch.cummax(read, dim=1).values
    return torch.maximum(heard, before.unsqueeze(1).to(torch.float32))


class PianolaLSTM(nn.Module):
    def __init__(self, vocab_size: int, n_composers: int, embed: int, hidden: int,
                 layers: int, dropout: float = 0.0, density: bool = False,
                 parts: bool = False) -> None:
        super().__init__()
        if density and vocab_size < DENSITY_FIRST_TOKEN + DENSITY_STEPS:
            raise ValueError("density conditioning needs the DENSITY tokens; the vocabulary "
                             "has %d tokens" % vocab_size)
        if parts and vocab_size < PART_FIRST_TOKEN + PART_ROLES:
            raise ValueError("parts conditioning needs the PART tokens; the vocabulary has %d "
                             "tokens" % vocab_size)
        self.vocab_size = vocab_size
        self.n_composers = n_composers
        self.embed = embed
        self.hidden = hidden
        self.layers = layers
        self.dropout_p = dropout
        self.token_embedding = nn.Embedding(vocab_size, embed)
        self.composer_embedding = nn.Embedding(n_composers, embed)
        # Row 0 (no density yet) stays zero, so a network grown from one without the
        # conditioning starts as that network.
        self.density_embedding = nn.Embedding(DENSITY_STEPS + 1, embed, padding_idx=0) \
            if density else None
        self.part_embedding = nn.Embedding(PART_ROLES, embed) if parts else None
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden, vocab_size)

    def config(self) -> Dict[str, float]:
        return {"vocab_size": self.vocab_size, "n_composers": self.n_composers,
                "embed": self.embed, "hidden": self.hidden, "layers": self.layers,
                "dropout": self.dropout_p, "density": self.density_embedding is not None,
                "parts": self.part_embedding is not None}

    def forward(self, tokens: torch.Tensor, composer: torch.Tensor,
                state: Optional[State] = None) -> Tuple[torch.Tensor, State]:
        x = self.token_embedding(tokens) + self.composer_embedding(composer).unsqueeze(1)
        carried = list(state[2:]) if state is not None else []
        in_force = []
        if self.density_embedding is not None:
            before = carried.pop(0) if carried else torch.zeros(
                tokens.shape[0], dtype=torch.long, device=tokens.device)
            density = density_in_force(tokens, before)
            x = x + self.density_embedding(density)
            in_force.append(density[:, -1])
        if self.part_embedding is not None:
            before = carried.pop(0) if carried else torch.zeros(
                tokens.shape[0], PART_ROLES, device=tokens.device)
            parts = parts_in_force(tokens, before)
            x = x + parts @ self.part_embedding.weight
            in_force.append(parts[:, -1])
        out, (h, c) = self.lstm(x, state[:2] if state is not None else None)
        return self.output(self.dropout(out)), (h, c, *in_force)

    def step(self, token: torch.Tensor, composer: torch.Tensor,
             state: Optional[State] = None) -> Tuple[torch.Tensor, State]:
        logits, state = self.forward(token.view(-1, 1), composer.view(-1), state)
        return logits[:, 0, :], state


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def from_config(config: Dict) -> nn.Module:
    """A fresh network of either architecture from its config() (a checkpoint's
    model_config)."""
    if config.get("architecture") == "transformer":
        from train.transformer import PianolaTransformer
        return PianolaTransformer(config["vocab_size"], config["n_composers"], config["dim"],
                                  config["heads"], config["layers"], config["context"],
                                  config["feed_forward"], config.get("dropout", 0.0),
                                  config["norm_eps"])
    return PianolaLSTM(config["vocab_size"], config["n_composers"], config["embed"],
                       config["hidden"], config["layers"], config.get("dropout", 0.0),
                       config.get("density", False), config.get("parts", False))


def describe(model: nn.Module) -> str:
    """The network's sizes, in words, for logs."""
    count = parameter_count(model)
    if getattr(model, "context", None):
        return ("transformer of %d parameters (dimension %d, %d heads, %d layers, feed-forward "
                "%d, context %d)" % (count, model.dim, model.heads, model.layers,
                                     model.feed_forward, model.context))
    return "LSTM of %d parameters (embed %d, hidden %d, layers %d%s%s)" % (
        count, model.embed, model.hidden, model.layers,
        ", density-conditioned" if model.density_embedding is not None else "",
        ", parts-conditioned" if model.part_embedding is not None else "")
