"""Pianola's training commands (docs/training.md):

    /usr/bin/python3 -m train fit --tokens DIR --run DIR --ckpt DIR [sizes, schedule...]
    /usr/bin/python3 -m train fit --tokens PIANO_DIR --tokens CHAMBER_DIR \
        --init models/pianola.pnm --ensemble-weight string_quartet=0.4,... ...
    /usr/bin/python3 -m train fit --arch transformer --dim 256 --heads 4 --layers 4 \
        --context 1024 --length 1024 ...
    /usr/bin/python3 -m train throughput [--sizes 128x256x2,...]
    /usr/bin/python3 -m train throughput --arch transformer [--sizes 192x4x4,...]
    torchrun --standalone --nproc_per_node 2 --redirects 1 --tee 1 -m train fit ...
        (data-parallel over gloo; the two 1s work around PyTorch 1.13 under Python 3.11)
    /usr/bin/python3 -m train export --checkpoint best.pt -o models/pianola.pnm
    /usr/bin/python3 -m train evaluate --tokens DIR [--tokens DIR...] --model models/pianola.pnm
    /usr/bin/python3 -m train own --midi FOLDER --name NAME -o my.pnm
    /usr/bin/python3 -m train attribution --catalog ../shared/corpus/catalog.tsv
"""
import argparse
import dataclasses
import datetime
import os
import subprocess
import sys
import tempfile
from dataclasses import fields, replace

import torch

from train.codec import program, vocabulary as codec_vocabulary
from train.data import Vocabulary
from train.train import TrainConfig, fit, throughput

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig(tokens="", run_dir="", ckpt_dir="")
    for f in fields(TrainConfig):
        if f.name in ("tokens", "run_dir", "ckpt_dir", "targets", "quiet", "stop_at", "init",
                      "new_composer", "like", "notes_only"):
            continue
        value = getattr(defaults, f.name)
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(value), default=value,
                            help="default: %(default)s")
    parser.add_argument("--stop-at", default="",
                        help="UTC time HH:MM (today, or tomorrow if past) to stop with a "
                             "checkpoint")
    parser.add_argument("--init", default="", help="start from these weights (.pnm)")
    parser.add_argument("--targets", default="",
                        help="composers whose validation loss decides early stopping (default: "
                             "those the plugin offers, `pianola-tokenize --composers`)")
    parser.add_argument("--quiet", action="store_true")


def _config(args: argparse.Namespace, tokens: str, run_dir: str, ckpt_dir: str) -> TrainConfig:
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)
              if f.name not in ("tokens", "run_dir", "ckpt_dir", "targets", "stop_at",
                                "notes_only")
              and hasattr(args, f.name)}
    stop_at = 0.0
    if args.stop_at:
        now = datetime.datetime.now(datetime.timezone.utc)
        hours, minutes = (int(x) for x in args.stop_at.split(":"))
        when = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
        if when <= now:
            when += datetime.timedelta(days=1)
        stop_at = when.timestamp()
    targets = tuple(t for t in args.targets.split(",") if t)
    return TrainConfig(tokens=tokens, run_dir=run_dir, ckpt_dir=ckpt_dir, stop_at=stop_at,
                       targets=targets, **values)


def command_fit(args: argparse.Namespace) -> int:
    folders = args.tokens + args.notes_only
    tokens = folders[0] if len(folders) == 1 else tuple(folders)
    config = replace(_config(args, tokens, args.run, args.ckpt),
                     notes_only=tuple(args.notes_only))
    result = fit(config)
    return 0 if result["steps"] > 0 else 1


def command_throughput(args: argparse.Namespace) -> int:
    vocab = Vocabulary.read(args.vocab) if args.vocab else codec_vocabulary()
    vocab_size = args.vocab_size or len(vocab)
    composers = len(vocab.composers)
    transformer = args.arch == "transformer"
    sizes = args.sizes or ("128x4x4,192x4x4,256x4x4,256x8x6" if transformer
                           else "128x256x2,128x384x2,128x512x2")
    print("tokens/s, one thread, batch %d x %d tokens, vocabulary %d%s:"
          % (args.batch, args.length, vocab_size,
             ", context %d" % args.length if transformer else ""))
    for size in sizes.split(","):
        embed, hidden, layers = (int(x) for x in size.split("x"))
        rate, params = throughput(vocab_size, composers, embed, hidden, layers, args.batch,
                                  args.length, arch=args.arch)
        print("%s layers %d: %6.2fM parameters, %7.0f tokens/s"
              % ("dim %4d heads %2d" % (embed, hidden) if transformer
                 else "embed %4d hidden %4d" % (embed, hidden), layers, params / 1e6, rate),
              flush=True)
    return 0


def command_export(args: argparse.Namespace) -> int:
    from train.export import write_weights
    from train.model import from_config
    saved = torch.load(args.checkpoint, map_location="cpu")
    model = from_config(saved["model_config"])
    model.load_state_dict(saved["model"])
    key_frame = bool(saved.get("config", {}).get("key_frame", 0))
    signature = saved["signature"]
    if args.solo_piano:
        from train.export import solo_piano
        vocab = codec_vocabulary()
        if vocab.signature != signature:
            raise SystemExit("%s: vocabulary %016x, the codec's is %016x"
                             % (args.checkpoint, signature, vocab.signature))
        model, signature = solo_piano(model, vocab)
    write_weights(model, args.output, signature, saved["composers"], key_frame,
                  saved.get("choices"), saved.get("openers"))
    print("%s: step %d, %d bytes, signature %016x, %s, composers %s"
          % (args.output, saved["step"], os.path.getsize(args.output), signature,
             "key-normalized" if key_frame else "in the pieces' own keys",
             " ".join(saved["composers"])))
    if saved.get("choices"):
        print("choices: %s" % ", ".join(label for _, label in saved["choices"]))
    return 0


def command_evaluate(args: argparse.Namespace) -> int:
    from train.evaluate import main as evaluate_main
    return evaluate_main(args)


def command_own(args: argparse.Namespace) -> int:
    """A model of your own composer: tokenize a folder of MIDI files, then fine-tune the
    bundled network on them (or train one from scratch with --scratch)."""
    from train.data import Corpus, offered_composers
    from train.export import read_weights
    from train.own import class_id, nearest_class, own_classes, write_catalog
    bundled = os.path.join(REPO, "models", "pianola.pnm")
    if not args.scratch and not args.init:
        args.init = bundled
    start, meta = read_weights(args.init or bundled)
    if not args.scratch:
        args.key_frame = int(meta["key_frame"])  # the fine-tune keeps the network's frame
    vocab = codec_vocabulary()
    placeholder = offered_composers().choices[0]
    # the name is checked before anything is tokenized or trained
    own_classes(meta, vocab, args.name, args.like or placeholder)
    tokenizer = args.tokenizer or program("tokenize")
    work = args.work or tempfile.mkdtemp(prefix="pianola-own-")
    os.makedirs(work, exist_ok=True)
    catalog = os.path.join(work, "catalog.tsv")
    # the tokenizer knows only the vocabulary's composers: the pieces are listed under one,
    # and training teaches them to the new class
    count = write_catalog(args.midi, placeholder, catalog)
    tokens = os.path.join(work, "tokens")
    command = [tokenizer, "--catalog", catalog, args.midi, "-o", tokens]
    if vocab.density_tokens and (args.scratch or start.vocab_size > vocab.density_tokens[0]):
        # a network that knows the DENSITY tokens learns your pieces with them
        command.insert(1, "--density")
    print("%d MIDI files; running: %s" % (count, " ".join(command)), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    like = args.like
    if not like and class_id(args.name) not in meta["composer_names"]:
        corpus = Corpus.read(tokens, key_frame=bool(args.key_frame))
        like, losses = nearest_class(start, corpus.split("train") or corpus.pieces,
                                     corpus.vocab)
        print("nearest style: %s (%.3f nats/token; %s)"
              % (like, losses[like], ", ".join("%s %.3f" % (name, value) for name, value in
                                               sorted(losses.items(), key=lambda x: x[1])[:4])),
              flush=True)
    args.targets = ""
    args.romantic_p = 0.0
    config = _config(args, tokens, os.path.join(work, "run"), os.path.join(work, "ckpt"))
    config = dataclasses.replace(config, new_composer=args.name, like=like or placeholder)
    result = fit(config)
    export = argparse.Namespace(checkpoint=os.path.join(work, "ckpt", "best.pt"),
                                output=args.output, solo_piano=False)
    command_export(export)
    print("trained %d steps (log and loss curve in %s); play it with:\n"
          "  pianola-generate --model %s --composer \"%s\" -o out.mid"
          % (result["steps"], os.path.join(work, "run"), args.output, args.name))
    return 0


def command_attribution(args: argparse.Namespace) -> int:
    from train.attribution import attribution_markdown
    sys.stdout.write(attribution_markdown(args.catalog))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("fit", help="train a network on token files")
    p.add_argument("--tokens", required=True, action="append",
                   help="the tokenizer's output folder; give it again for more (the piano "
                        "corpus' and the chamber corpus'), each keeping its own split")
    p.add_argument("--notes-only", action="append", default=[],
                   help="another token folder whose pieces teach their notes but not their "
                        "dynamics (their VEL tokens are never targets): songs engraved with a "
                        "few printed dynamics beside the played pieces; may be repeated")
    p.add_argument("--run", required=True, help="folder for log.csv and loss.png")
    p.add_argument("--ckpt", required=True, help="folder for the checkpoints")
    _add_training_options(p)
    p.set_defaults(run_command=command_fit)

    p = commands.add_parser("throughput", help="measure training tokens/s for some sizes")
    p.add_argument("--arch", default="lstm", choices=("lstm", "transformer"))
    p.add_argument("--sizes", default="",
                   help="EMBEDxHIDDENxLAYERS,... (LSTM; default 128x256x2,128x384x2,"
                        "128x512x2) or DIMxHEADSxLAYERS,... (transformer; default "
                        "128x4x4,192x4x4,256x4x4,256x8x6)")
    p.add_argument("--vocab", default="",
                   help="a vocab.tsv (default: the codec's, from pianola-tokenize --vocab)")
    p.add_argument("--vocab-size", type=int, default=0,
                   help="time this many tokens instead of the vocabulary's")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--length", type=int, default=256)
    p.set_defaults(run_command=command_throughput)

    p = commands.add_parser("export", help="write a checkpoint's weights as a .pnm file")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--solo-piano", action="store_true",
                   help="an LSTM trained on solo piano alone, without the PART tokens and the "
                        "parts conditioning it never learned (the bundled piano network)")
    p.set_defaults(run_command=command_export)

    p = commands.add_parser("evaluate", help="validation bits per token and per note, "
                                             "against an n-gram baseline; the copy measure")
    from train.evaluate import add_arguments
    add_arguments(p)
    p.set_defaults(run_command=command_evaluate)

    p = commands.add_parser("own", help="train a model of your own composer from MIDI files")
    p.add_argument("--midi", required=True, help="a folder of MIDI files")
    p.add_argument("--name", required=True,
                   help="your composer's display name (UTF-8, up to 64 bytes), a new class "
                        "beside the built-in ones")
    p.add_argument("--like", default="",
                   help="the composer class the new one starts from (default: the one "
                        "nearest your pieces)")
    p.add_argument("-o", "--output", required=True, help="the .pnm file to write")
    p.add_argument("--work", default="", help="folder for tokens, log and checkpoints")
    p.add_argument("--tokenizer", default="", help="pianola-tokenize (default: build/)")
    p.add_argument("--scratch", action="store_true",
                   help="train from random weights instead of the bundled model")
    _add_training_options(p)
    p.set_defaults(run_command=command_own, steps=1500, warmup=50, lr=1e-3, eval_every=100,
                   patience=4)

    p = commands.add_parser("attribution", help="the corpus licences' attribution, Markdown")
    p.add_argument("--catalog", required=True, help="the corpus catalog.tsv")
    p.set_defaults(run_command=command_attribution)
    args = parser.parse_args(argv)
    return args.run_command(args)


if __name__ == "__main__":
    sys.exit(main())
