"""Writes and reads Pianola's weights file (`.pnm`), exactly as docs/weights-format.md lays it
out: the file the C engine loads and the plugin bundles. Either network: the LSTM
(architecture 1) or the transformer (architecture 2, with its own header fields).

API:
    write_weights(model, path, signature: int, composer_names: list[str],
                  key_frame: bool = False, choices: list[(int, str)] = None,
                  openers: list[int] = None) -> None   # model: PianolaLSTM or
                                                       # PianolaTransformer
    read_weights(path) -> (model, meta)   # meta: {"version", "architecture", "signature",
                                          #        "composer_names", "key_frame", "choices",
                                          #        "openers"}; model in eval mode
    check_label(label) -> bytes           # a display name as the file holds it, or ValueError

`choices` (class, display name) in menu order and `openers` (per class, the class whose
COMPOSER_ token opens its pieces) make the composer choices section (flag bit 1); without
them the file has none and readers offer the built-in choices. read_weights gives
`choices` [] and `openers` list(range(K)) for such a file.
    WeightsError: raised by read_weights for a file that is not a valid weights file

Every integer is little-endian; tensors are float32, row-major, in the documented order; the
last four bytes are zlib's CRC-32 of everything before them.
"""
import struct
import zlib
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from train.model import PianolaLSTM
from train.transformer import PianolaTransformer

MAGIC = b"PIANOLA\0"
FORMAT_VERSION = 2
ARCH_LSTM = 1
ARCH_TRANSFORMER = 2
# Architecture 2's own fields, after the flags: heads, context length, layer-norm epsilon.
TRANSFORMER_FIELDS = struct.Struct("<IIf")
NAME_BYTES = 32
HEADER = struct.Struct("<8sIIQIIIIII")  # magic .. tensor count: 48 bytes
FLAGS = struct.Struct("<I")             # version 2 only, after the tensor count
FLAG_KEY_FRAME = 1                      # the network composes in C major / A minor
FLAG_CHOICES = 2                        # the composer choices section follows the names
FLAG_DENSITY = 4                        # an LSTM's density_embedding follows its composers'
FLAG_PARTS = 8                          # an LSTM's part_embedding follows (density's or composers')
LABEL_BYTES = 64
MAX_CHOICES = 32


class WeightsError(ValueError):
    pass


def lstm_tensor_names(layers: int, density: bool = False, parts: bool = False) -> List[str]:
    names = ["token_embedding", "composer_embedding"] + \
        (["density_embedding"] if density else []) + (["part_embedding"] if parts else [])
    for layer in range(layers):
        names += ["lstm.%d.weight_ih" % layer, "lstm.%d.weight_hh" % layer,
                  "lstm.%d.bias_ih" % layer, "lstm.%d.bias_hh" % layer]
    return names + ["output.weight", "output.bias"]


def transformer_tensor_names(layers: int) -> List[str]:
    names = ["token_embedding", "composer_embedding", "alibi_slopes"]
    for layer in range(layers):
        block = "blocks.%d." % layer
        names += [block + part for part in (
            "norm1.weight", "norm1.bias", "attention.qkv.weight", "attention.qkv.bias",
            "attention.out.weight", "attention.out.bias", "norm2.weight", "norm2.bias",
            "mlp.up.weight", "mlp.up.bias", "mlp.down.weight", "mlp.down.bias")]
    return names + ["norm.weight", "norm.bias", "output.weight", "output.bias"]


def _torch_name(name: str) -> str:
    """The state_dict key of a documented tensor name."""
    if name.startswith("lstm."):
        _, layer, kind = name.split(".")
        return "lstm.%s_l%s" % (kind, layer)
    if name.endswith("_embedding"):
        return name + ".weight"
    return name


def _name_field(name: str, what: str) -> bytes:
    raw = name.encode("ascii")
    if len(raw) >= NAME_BYTES:
        raise ValueError("%s name %r is longer than %d bytes" % (what, name, NAME_BYTES - 1))
    return raw.ljust(NAME_BYTES, b"\0")


def check_label(label: str) -> bytes:
    """A display name as the weights file holds it: UTF-8 of 1 to 64 bytes without control
    characters (docs/weights-format.md), or ValueError saying what is wrong."""
    raw = label.encode("utf-8")
    if not raw:
        raise ValueError("a display name is empty")
    if len(raw) > LABEL_BYTES:
        raise ValueError("display name %r is %d bytes of UTF-8, more than %d"
                         % (label, len(raw), LABEL_BYTES))
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in label):
        raise ValueError("display name %r holds a control character" % label)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in label):
        raise ValueError("display name %r holds a surrogate" % label)
    return raw


def _choices_section(composer_names: List[str], choices: List[Tuple[int, str]],
                     openers: List[int]) -> bytes:
    count = len(composer_names)
    if len(openers) != count:
        raise ValueError("%d openers for %d composers" % (len(openers), count))
    for k, opener in enumerate(openers):
        if not 0 <= opener < count or openers[opener] != opener:
            raise ValueError("composer %d opens as class %r, not a class that opens its own"
                             % (k, opener))
    if len(set(composer_names)) != count:
        raise ValueError("two composers share a name")
    if not 1 <= len(choices) <= min(count, MAX_CHOICES):
        raise ValueError("%d choices, outside 1..%d" % (len(choices), min(count, MAX_CHOICES)))
    if len({c for c, _ in choices}) != len(choices) or len({l for _, l in choices}) != len(choices):
        raise ValueError("a composer or a display name is chosen twice")
    parts = [struct.pack("<%dI" % count, *openers), struct.pack("<I", len(choices))]
    for cls, label in choices:
        if not 0 <= cls < count:
            raise ValueError("choice of composer %d, but there are %d" % (cls, count))
        parts.append(struct.pack("<I", cls) + check_label(label).ljust(LABEL_BYTES, b"\0"))
    return b"".join(parts)


def solo_piano(model: PianolaLSTM, vocab) -> Tuple[PianolaLSTM, int]:
    """A copy of an LSTM that learned solo piano alone, cut to the vocabulary before the
    `PART` tokens (the last family of `vocab`, the network's whole vocabulary, a
    train.data.Vocabulary) and without its parts conditioning, with the codec's signature of
    that earlier vocabulary. A solo piece has no PART token and no
    part in force, so the copy's logits are the network's own less the PART tokens', which it
    never learned: the engine then composes every ensemble with the ensemble network, not
    with one that would pretend to know the parts."""
    names = vocab.names
    first = next((i for i, name in enumerate(names) if name.startswith("PART_")), len(names))
    if any(not name.startswith("PART_") for name in names[first:]) or \
            len(names) != model.vocab_size or first not in vocab.earlier_signatures:
        raise ValueError("the PART tokens are not the tail of this network's vocabulary")
    cut = PianolaLSTM(first, model.n_composers, model.embed, model.hidden, model.layers,
                      dropout=model.dropout_p, density=model.density_embedding is not None)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("part_embedding")}
    for key in ("token_embedding.weight", "output.weight", "output.bias"):
        state[key] = state[key][:first]
    cut.load_state_dict(state)
    return cut, vocab.earlier_signatures[first]


def write_weights(model, path: str, signature: int,
                  composer_names: List[str], key_frame: bool = False,
                  choices: Optional[List[Tuple[int, str]]] = None,
                  openers: Optional[List[int]] = None) -> None:
    if len(composer_names) != model.n_composers:
        raise ValueError("%d composer names for a model of %d composers"
                         % (len(composer_names), model.n_composers))
    transformer = isinstance(model, PianolaTransformer)
    density = not transformer and model.density_embedding is not None
    parts = not transformer and model.part_embedding is not None
    names = transformer_tensor_names(model.layers) if transformer else \
        lstm_tensor_names(model.layers, density, parts)
    state = model.state_dict()
    flags = (FLAG_KEY_FRAME if key_frame else 0) | (FLAG_CHOICES if choices else 0) | \
        (FLAG_DENSITY if density else 0) | (FLAG_PARTS if parts else 0)
    parts = [HEADER.pack(MAGIC, FORMAT_VERSION, ARCH_TRANSFORMER if transformer else ARCH_LSTM,
                         signature & 0xFFFFFFFFFFFFFFFF, model.vocab_size, model.n_composers,
                         model.embed, model.hidden, model.layers, len(names)),
             FLAGS.pack(flags)]
    if transformer:
        parts.append(TRANSFORMER_FIELDS.pack(model.heads, model.context, model.norm_eps))
    parts += [_name_field(name, "composer") for name in composer_names]
    if choices:
        parts.append(_choices_section(composer_names, choices,
                                      openers if openers is not None
                                      else list(range(len(composer_names)))))
    for name in names:
        tensor = state[_torch_name(name)].detach().cpu().to(torch.float32).contiguous()
        parts.append(_name_field(name, "tensor"))
        parts.append(struct.pack("<I", tensor.dim()))
        parts.append(struct.pack("<%dI" % tensor.dim(), *tensor.shape))
        parts.append(tensor.numpy().astype("<f4").tobytes())
    body = b"".join(parts)
    with open(path, "wb") as out:
        out.write(body)
        out.write(struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))


def read_weights(path: str) -> Tuple[torch.nn.Module, Dict]:
    with open(path, "rb") as f:
        data = f.read()

    def fail(what: str) -> WeightsError:
        return WeightsError("%s: %s" % (path, what))

    if len(data) < HEADER.size + 4:
        raise fail("truncated: %d bytes, shorter than the header" % len(data))
    body, (crc,) = data[:-4], struct.unpack("<I", data[-4:])
    if zlib.crc32(body) & 0xFFFFFFFF != crc:
        raise fail("checksum mismatch (file damaged or truncated)")
    (magic, version, arch, signature, vocab, composers, embed, hidden, layers,
     count) = HEADER.unpack_from(body, 0)
    if magic != MAGIC:
        raise fail("not a Pianola weights file (bad magic)")
    if version not in (1, FORMAT_VERSION):
        raise fail("format version %d, expected 1 or %d" % (version, FORMAT_VERSION))
    if arch not in (ARCH_LSTM, ARCH_TRANSFORMER):
        raise fail("architecture %d, only 1 (LSTM) and 2 (transformer) are known here" % arch)
    offset = HEADER.size
    flags = 0
    if version >= 2:
        (flags,) = FLAGS.unpack_from(body, offset)
        offset += FLAGS.size
        if flags & ~(FLAG_KEY_FRAME | FLAG_CHOICES | FLAG_DENSITY | FLAG_PARTS):
            raise fail("unknown flags 0x%x" % flags)
        if flags & FLAG_DENSITY and arch != ARCH_LSTM:
            raise fail("density conditioning is an LSTM's (flags 0x%x)" % flags)
        if flags & FLAG_PARTS and arch != ARCH_LSTM:
            raise fail("parts conditioning is an LSTM's (flags 0x%x)" % flags)
    if arch == ARCH_TRANSFORMER:
        if version < 2 or offset + TRANSFORMER_FIELDS.size > len(body):
            raise fail("truncated in the transformer's fields")
        heads, context, norm_eps = TRANSFORMER_FIELDS.unpack_from(body, offset)
        offset += TRANSFORMER_FIELDS.size
        if not (heads >= 1 and embed % heads == 0 and context >= 1 and 0 < norm_eps <= 1):
            raise fail("transformer fields out of range: %d heads for dimension %d, context "
                       "%d, epsilon %g" % (heads, embed, context, norm_eps))
    if offset + NAME_BYTES * composers > len(body):
        raise fail("truncated in the composer names")
    composer_names = []
    for _ in range(composers):
        composer_names.append(body[offset:offset + NAME_BYTES].split(b"\0")[0].decode("ascii"))
        offset += NAME_BYTES
    openers, choices = list(range(composers)), []
    if flags & FLAG_CHOICES:
        if offset + 4 * composers + 4 > len(body):
            raise fail("truncated in the composer choices")
        openers = list(struct.unpack_from("<%dI" % composers, body, offset))
        offset += 4 * composers
        (choice_count,) = struct.unpack_from("<I", body, offset)
        offset += 4
        if not 1 <= choice_count <= min(composers, MAX_CHOICES) or \
                offset + (4 + LABEL_BYTES) * choice_count > len(body):
            raise fail("%d composer choices" % choice_count)
        for _ in range(choice_count):
            (cls,) = struct.unpack_from("<I", body, offset)
            label = body[offset + 4:offset + 4 + LABEL_BYTES].rstrip(b"\0").decode("utf-8")
            choices.append((cls, label))
            offset += 4 + LABEL_BYTES
    if arch == ARCH_TRANSFORMER:
        names = transformer_tensor_names(layers)
        model = PianolaTransformer(vocab, composers, embed, heads, layers, context, hidden,
                                   norm_eps=norm_eps)
    else:
        density, parts = bool(flags & FLAG_DENSITY), bool(flags & FLAG_PARTS)
        names = lstm_tensor_names(layers, density, parts)
        try:
            model = PianolaLSTM(vocab, composers, embed, hidden, layers, density=density,
                                parts=parts)
        except ValueError as error:
            raise fail(str(error))
    if count != len(names):
        raise fail("%d tensors, expected %d for %d layers" % (count, len(names), layers))
    state = model.state_dict()
    for name in names:
        if offset + NAME_BYTES + 4 > len(body):
            raise fail("truncated before tensor %s" % name)
        found = body[offset:offset + NAME_BYTES].split(b"\0")[0].decode("ascii", "replace")
        if found != name:
            raise fail("tensor %r where %r was expected" % (found, name))
        (rank,) = struct.unpack_from("<I", body, offset + NAME_BYTES)
        offset += NAME_BYTES + 4
        if not 1 <= rank <= 4 or offset + 4 * rank > len(body):
            raise fail("tensor %s: bad rank %d" % (name, rank))
        dims = struct.unpack_from("<%dI" % rank, body, offset)
        offset += 4 * rank
        expected = tuple(state[_torch_name(name)].shape)
        if dims != expected:
            raise fail("tensor %s has shape %s, expected %s" % (name, dims, expected))
        size = 4 * int(np.prod(dims))
        if offset + size > len(body):
            raise fail("tensor %s runs past the end of the file" % name)
        values = np.frombuffer(body, dtype="<f4", count=size // 4, offset=offset)
        state[_torch_name(name)] = torch.from_numpy(values.astype(np.float32).reshape(dims))
        offset += size
    if offset != len(body):
        raise fail("%d unexpected bytes after the last tensor" % (len(body) - offset))
    model.load_state_dict(state)
    model.eval()
    meta = {"version": version, "architecture": arch, "signature": signature,
            "composer_names": composer_names, "key_frame": bool(flags & FLAG_KEY_FRAME),
            "choices": choices, "openers": openers}
    return model, meta
