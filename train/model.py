"""The network Pianola plays: an LSTM that predicts the next token from the ones before,
conditioned on a composer.

It is exactly the computation docs/weights-format.md describes and the C engine (src/lstm.c)
repeats step by step:

    input_0 = token_embedding[x] + composer_embedding[c] (+ density_embedding[d])
    for each layer l: (h_l, c_l) = LSTMCell(input_l, h_l, c_l); input_{l+1} = h_l
    logits  = output.weight @ h_{L-1} + output.bias

d is the density step in force (docs/weights-format.md, "Density conditioning"): 0 before any
DENSITY token, else 1 + the step of the last DENSITY token read, that token included. A
DENSITY token names the density of the bar it opens, but only once; added to every step's input,
as the composer is, the network hears it at every note it writes, and obeys it.

API:
    model = PianolaLSTM(vocab_size, n_composers, embed, hidden, layers, dropout=0.0,
                        density=False)
    logits, state = model(tokens[B, T] (int64), composer[B] (int64), state=None)
        logits: [B, T, V]; state: (h, c), each [layers, B, hidden], and with density
        conditioning a third member, the step in force [B]
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


class PianolaLSTM(nn.Module):
    def __init__(self, vocab_size: int, n_composers: int, embed: int, hidden: int,
                 layers: int, dropout: float = 0.0, density: bool = False) -> None:
        super().__init__()
        if density and vocab_size < DENSITY_FIRST_TOKEN + DENSITY_STEPS:
            raise ValueError("density conditioning needs the DENSITY tokens; the vocabulary "
                             "has %d tokens" % vocab_size)
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
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden, vocab_size)

    def config(self) -> Dict[str, float]:
        return {"vocab_size": self.vocab_size, "n_composers": self.n_composers,
                "embed": self.embed, "hidden": self.hidden, "layers": self.layers,
                "dropout": self.dropout_p, "density": self.density_embedding is not None}

    def forward(self, tokens: torch.Tensor, composer: torch.Tensor,
                state: Optional[State] = None) -> Tuple[torch.Tensor, State]:
        x = self.token_embedding(tokens) + self.composer_embedding(composer).unsqueeze(1)
        if self.density_embedding is None:
            out, state = self.lstm(x, state)
            return self.output(self.dropout(out)), state
        before = state[2] if state is not None else torch.zeros(
            tokens.shape[0], dtype=torch.long, device=tokens.device)
        density = density_in_force(tokens, before)
        x = x + self.density_embedding(density)
        out, (h, c) = self.lstm(x, state[:2] if state is not None else None)
        return self.output(self.dropout(out)), (h, c, density[:, -1])

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
                       config.get("density", False))


def describe(model: nn.Module) -> str:
    """The network's sizes, in words, for logs."""
    count = parameter_count(model)
    if getattr(model, "context", None):
        return ("transformer of %d parameters (dimension %d, %d heads, %d layers, feed-forward "
                "%d, context %d)" % (count, model.dim, model.heads, model.layers,
                                     model.feed_forward, model.context))
    return "LSTM of %d parameters (embed %d, hidden %d, layers %d%s)" % (
        count, model.embed, model.hidden, model.layers,
        ", density-conditioned" if model.density_embedding is not None else "")
