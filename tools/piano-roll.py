#!/usr/bin/python3
"""Draws piano rolls of MIDI files, one above the other, to look at what was composed:
bar lines, where each note sits and how long it lasts, and its loudness as its colour.

    /usr/bin/python3 tools/piano-roll.py [--bars N] [--meter N/D] [--tracks NAMES]
        -o OUT.png FILE.mid...

With --tracks (an ensemble's sounding tracks as pianola-tokenize names them, e.g.
'piano;violin' for a render of Violin and piano), each note is coloured by its part instead.

The notes are read through Pianola's own codec (pianola-tokenize --encode, then --notes,
from build/ or $PIANOLA_BUILD), so the roll shows the bars and the grid the network and
pianola-stats see. Needs python3-matplotlib."""
import argparse
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZE = os.path.join(os.environ.get("PIANOLA_BUILD", os.path.join(SOURCE, "build")),
                        "pianola-tokenize")
TICKS_PER_QUARTER = 24


PART_COLOURS = {"piano": "tab:blue", "violin_1": "tab:red", "violin_2": "tab:orange",
                "viola": "tab:green", "cello": "tab:purple", "melody": "tab:brown"}


def notes_of(path: str, folder: str, tracks: str = ""):
    """(bar, position, pitch, velocity, duration, part) of every note, as the codec reads the
    file; the part is "piano" unless `tracks` names an ensemble's tracks."""
    tokens = os.path.join(folder, os.path.basename(path) + ".tok")
    subprocess.run([TOKENIZE, "--encode", path, "-o", tokens] +
                   (["--tracks", tracks] if tracks else []), check=True)
    listed = subprocess.run([TOKENIZE, "--notes", tokens], check=True, capture_output=True,
                            text=True).stdout
    return [tuple(int(x) for x in line.split()[:5]) + (
                line.split()[5] if len(line.split()) > 5 else "piano",)
            for line in listed.splitlines() if line and line[0].isdigit()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--bars", type=int, default=16, help="bars drawn from the first [16]")
    parser.add_argument("--meter", default="4/4", help="bar length for the grid [4/4]")
    parser.add_argument("--tracks", default="",
                        help="an ensemble's tracks ('piano;violin'): colour by part")
    args = parser.parse_args()
    numerator, denominator = (int(x) for x in args.meter.split("/"))
    bar_ticks = numerator * 4 * TICKS_PER_QUARTER // denominator
    figure, axes = plt.subplots(len(args.files), 1, figsize=(14, 2.6 * len(args.files)),
                                squeeze=False)
    with tempfile.TemporaryDirectory() as folder:
        for axis, path in zip(axes[:, 0], args.files):
            notes = [n for n in notes_of(path, folder, args.tracks) if n[0] <= args.bars]
            boxes, colours = [], []
            for bar, position, pitch, velocity, duration, part in notes:
                start = (bar - 1) * bar_ticks + position
                boxes.append(Rectangle((start / bar_ticks, pitch - 0.4),
                                       duration / bar_ticks, 0.8))
                colours.append(PART_COLOURS.get(part, "black") if args.tracks else velocity)
            if args.tracks:
                collection = PatchCollection(boxes, facecolor=colours, linewidth=0)
                for part in sorted({n[5] for n in notes}):
                    axis.plot([], [], "s", color=PART_COLOURS.get(part, "black"), label=part)
                axis.legend(loc="upper right", fontsize=7)
            else:
                collection = PatchCollection(boxes, cmap="viridis", linewidth=0)
                collection.set_array(colours)
                collection.set_clim(1, 127)
            axis.add_collection(collection)
            for line in range(args.bars + 1):
                axis.axvline(line, color="0.7", linewidth=0.6)
            pitches = [n[2] for n in notes] or [60]
            axis.set_xlim(0, args.bars)
            axis.set_ylim(min(pitches) - 2, max(pitches) + 2)
            axis.set_ylabel("key")
            axis.set_title("%s: %d notes in %d bars" % (os.path.basename(path), len(notes),
                                                       args.bars), fontsize=9)
        axes[-1, 0].set_xlabel("bar")
    figure.subplots_adjust(hspace=0.5)
    if not args.tracks:
        figure.colorbar(collection, ax=axes[:, 0].tolist(), label="velocity", fraction=0.02)
    figure.savefig(args.output, dpi=90)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
