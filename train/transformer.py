"""The other network Pianola can play: a decoder-only transformer that predicts the next token
from the ones before it in a sliding window, conditioned on a composer, with the LSTM's
vocabulary and key frame (train/model.py is the LSTM).

It is exactly the computation docs/weights-format.md describes for architecture 2 and the C
engine (src/transformer.c) repeats token by token:

    x = token_embedding[t] + composer_embedding[c]
    for each block l (pre-norm):
        x = x + attention.out(Attention(LayerNorm1(x)))
        x = x + mlp.down(GELU_tanh(mlp.up(LayerNorm2(x))))
    logits = output(LayerNorm(x))

Attention is causal and sees the last `context` positions (the token itself and context - 1
before it): a sliding window. Positions enter only as ALiBi's linear bias (Press et al.,
"Train Short, Test Long", 2022): head h adds -slope_h x distance to the score of a key
`distance` tokens back, slope_h = 2^(-8 (h + 1) / heads). Why ALiBi rather than rotary
positions: a score depends on the distance alone, never on a position number, so a cached key
stays valid however far the window has slid (the C engine's ring buffer needs no re-rotation
and no sin/cos tables, whose libm values could differ between machines), and a network trained
on windows of `context` tokens behaves as trained at any length of piece. The slopes are a
buffer saved in the weights file, so the C engine reads them rather than recomputing them.

API:
    model = PianolaTransformer(vocab_size, n_composers, dim, heads, layers, context=1024,
                               feed_forward=0 (= 4 dim), dropout=0.0, norm_eps=1e-5)
    logits, state = model(tokens[B, T] (int64), composer[B] (int64), state=None)
        logits [B, T, V]; state: per block the keys and values of the last context - 1
        positions, so feeding a sequence in pieces gives the logits of feeding it whole
    logits, state = model.step(token[B], composer[B], state=None)   # one token; logits [B, V]
    model.config() -> dict of the constructor's arguments, with "architecture": "transformer"
"""
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

KeysValues = Tuple[torch.Tensor, torch.Tensor]  # each [B, heads, positions, head_dim]
State = List[KeysValues]


def alibi_slopes(heads: int) -> torch.Tensor:
    return torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)],
                        dtype=torch.float32)


class Attention(nn.Module):
    """Causal self-attention over the window. Every [T, T] tensor is costly on a CPU (one
    elementwise pass over a 1,024-token window of 8 x 4 heads is 32M values), so there are as
    few as the computation allows: the scale goes on the queries, the bias is added in place,
    and dropout acts on the residual branches rather than on the attention weights."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, past: Optional[KeysValues],
                keep: int) -> Tuple[torch.Tensor, KeysValues]:
        batch, length, dim = x.shape
        qkv = self.qkv(x).view(batch, length, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each [B, heads, T, head_dim]
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        scores = torch.matmul(q * (1.0 / math.sqrt(self.head_dim)), k.transpose(-1, -2))
        weights = torch.softmax(scores.add_(bias), dim=-1)
        mixed = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, dim)
        kept = (k[:, :, -keep:], v[:, :, -keep:]) if keep > 0 else (k[:, :, :0], v[:, :, :0])
        return self.out(mixed), kept


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, feed_forward: int, dropout: float,
                 norm_eps: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attention = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = nn.ModuleDict({"up": nn.Linear(dim, feed_forward),
                                  "down": nn.Linear(feed_forward, dim)})
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, past: Optional[KeysValues],
                keep: int) -> Tuple[torch.Tensor, KeysValues]:
        attended, kept = self.attention(self.norm1(x), bias, past, keep)
        x = x + self.dropout(attended)
        hidden = F.gelu(self.mlp["up"](self.norm2(x)), approximate="tanh")
        return x + self.dropout(self.mlp["down"](hidden)), kept


class PianolaTransformer(nn.Module):
    def __init__(self, vocab_size: int, n_composers: int, dim: int, heads: int, layers: int,
                 context: int = 1024, feed_forward: int = 0, dropout: float = 0.0,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError("dimension %d is not a multiple of %d heads" % (dim, heads))
        self.vocab_size = vocab_size
        self.n_composers = n_composers
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.context = context
        self.feed_forward = feed_forward or 4 * dim
        self.dropout_p = dropout
        self.norm_eps = norm_eps
        # The names the LSTM's code reads (parameter summaries, the weights header).
        self.embed, self.hidden = dim, self.feed_forward
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.composer_embedding = nn.Embedding(n_composers, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, self.feed_forward, dropout, norm_eps)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(dim, eps=norm_eps)
        self.output = nn.Linear(dim, vocab_size)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("alibi_slopes", alibi_slopes(heads))
        self._initialize()

    def _initialize(self) -> None:
        # GPT-2's: small normal weights, zero biases, the residual branches' last layers
        # scaled down by the depth so the residual stream's variance stays near 1.
        for name, parameter in self.named_parameters():
            if "norm" in name:
                continue
            if name.endswith("bias"):
                nn.init.zeros_(parameter)
            else:
                std = 0.02
                if name.endswith("attention.out.weight") or name.endswith("down.weight"):
                    std /= math.sqrt(2 * self.layers)
                nn.init.normal_(parameter, 0.0, std)

    def config(self) -> Dict:
        return {"architecture": "transformer", "vocab_size": self.vocab_size,
                "n_composers": self.n_composers, "dim": self.dim, "heads": self.heads,
                "layers": self.layers, "context": self.context,
                "feed_forward": self.feed_forward, "dropout": self.dropout_p,
                "norm_eps": self.norm_eps}

    def _bias(self, length: int, past: int, device: torch.device) -> torch.Tensor:
        """[heads, T, past + T]: ALiBi's -slope x distance, -inf outside the window."""
        queries = torch.arange(past, past + length, device=device)[:, None]
        keys = torch.arange(past + length, device=device)[None, :]
        distance = (queries - keys).to(torch.float32)
        outside = (distance < 0) | (distance >= self.context)
        bias = -self.alibi_slopes.to(device)[:, None, None] * distance
        return bias.masked_fill(outside, float("-inf"))

    def forward(self, tokens: torch.Tensor, composer: torch.Tensor,
                state: Optional[State] = None) -> Tuple[torch.Tensor, State]:
        pieces = []
        # A window's worth at a time, so a whole piece never needs a T x T score matrix.
        for first in range(0, tokens.shape[1], self.context):
            logits, state = self._forward_chunk(tokens[:, first:first + self.context],
                                                composer, state)
            pieces.append(logits)
        return torch.cat(pieces, dim=1), state

    def _forward_chunk(self, tokens: torch.Tensor, composer: torch.Tensor,
                       state: Optional[State]) -> Tuple[torch.Tensor, State]:
        past = state[0][0].shape[2] if state else 0
        bias = self._bias(tokens.shape[1], past, tokens.device)
        x = self.token_embedding(tokens) + self.composer_embedding(composer).unsqueeze(1)
        x = self.dropout(x)
        kept: State = []
        for index, block in enumerate(self.blocks):
            x, keys_values = block(x, bias, state[index] if state else None, self.context - 1)
            kept.append(keys_values)
        return self.output(self.norm(x)), kept

    def step(self, token: torch.Tensor, composer: torch.Tensor,
             state: Optional[State] = None) -> Tuple[torch.Tensor, State]:
        logits, state = self.forward(token.view(-1, 1), composer.view(-1), state)
        return logits[:, 0, :], state
