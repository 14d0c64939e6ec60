"""The music every setting makes, held against the composer's own pieces.

For every composer of the corpus that the plugin offers, in 4/4, 3/4 and 6/8, at temperatures
0, 0.5, 1 and 1.5 and in every preset, a few seeds of 32 bars are composed by pianola-generate
(the plugin's own engine: test_engine shows it gives the plugin's timeline note for note) and
measured by pianola-stats beside the composer's corpus pieces. A setting fails when

  * bars ending in a silent beat, or silent beats, exceed twice the corpus figure,
  * notes per beat fall below half of it (for a preset with a set Density, below half the
    step's own notes per beat: a sparse preset is asked to play less than the corpus),
  * one bar repeats verbatim more often in a row (in any seed) than in any corpus piece.

The corpus figure is the composer's mean over their pieces in that meter; where the corpus
holds fewer than MIN_PIECES of them in it (Rachmaninoff wrote no 6/8 here, and only four
pieces in 3/4), it is their mean over the pieces of every meter measured here, weighted by
pieces. The Romantic blend has no corpus of its own and is not measured here."""
import concurrent.futures
import os
import re
import subprocess
import tempfile
import unittest

SRC = os.environ.get("PIANOLA_SRC", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PIANOLA_BUILD", os.path.join(SRC, "build"))
CORPUS = os.environ.get("PIANOLA_CORPUS", os.path.join(SRC, "..", "shared", "corpus"))
GENERATE = os.path.join(BUILD, "pianola-generate")
STATS = os.path.join(BUILD, "pianola-stats")
TOKENIZE = os.path.join(BUILD, "pianola-tokenize")

COMPOSERS = ("mozart", "brahms", "schumann", "rachmaninoff")
METERS = ("4/4", "3/4", "6/8")
TEMPERATURES = (0.0, 0.5, 1.0, 1.5)
TOP_P = 0.95  # the plugin's default
SEEDS = (1, 2, 3, 4)
BARS = 32
MIN_PIECES = 5
POOLED_METERS = ("4/4", "3/4", "6/8", "2/4")


def stats(composer: str, meter: str, files=()) -> dict:
    """pianola-stats --tsv: {figure: {column: value}}."""
    result = subprocess.run([STATS, "--corpus", CORPUS, "--composer", composer, "--meter", meter,
                             "--bars", str(BARS), "--tsv", *files],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError("pianola-stats failed: %s" % result.stderr.strip())
    lines = result.stdout.splitlines()
    header = lines[0].split("\t")
    return {fields[0]: {name: float(value) for name, value in zip(header[1:], fields[1:])}
            for fields in (line.split("\t") for line in lines[1:])}


def choices(macro: str) -> list:
    """The names of an enumeration's choices, in port order (src/steering.h)."""
    with open(os.path.join(SRC, "src", "steering.h"), encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"#define %s\(X\)(.*?)\n\n" % macro, text, re.S).group(1)
    return re.findall(r'X\("([^"]+)", "[^"]+"\)', body)


def density_targets() -> dict:
    """Each Density step's notes per beat (src/vocabulary.c), by its choice name."""
    with open(os.path.join(SRC, "src", "vocabulary.c"), encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"density_targets\[PNL_DENSITY_COUNT\] = \{([^}]*)\}", text).group(1)
    return dict(zip(choices("PNL_DENSITY_CHOICES")[1:], map(float, body.split(","))))


def steering_options(value: dict) -> list:
    """pianola-generate's options for a preset's key, register, dynamics and density."""
    options = []
    if "key" in value:
        options += ["--key", choices("PNL_KEY_CHOICES")[int(value["key"])]]
    if "dynamics" in value:
        options += ["--dynamics", choices("PNL_DYNAMICS_CHOICES")[int(value["dynamics"])]]
    if "density" in value:
        options += ["--density", choices("PNL_DENSITY_CHOICES")[int(value["density"])]]
    for symbol in ("register_lowest", "register_highest"):
        if symbol in value:
            options += ["--" + symbol.replace("_", "-"), str(int(value[symbol]))]
    return options


def presets():
    """Every preset's composer, temperature, top-p, seed and steering options, read from its
    Turtle file."""
    listed = subprocess.run([TOKENIZE, "--composers"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    composers = [line.split("\t")[0] for line in listed
                 if line and not line.startswith("composer")]
    found = []
    folder = os.path.join(SRC, "presets")
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
        value = {symbol: float(number) for symbol, number in re.findall(
            r'lv2:symbol "(\w+)" ; pset:value ([-0-9.]+)', text)}
        found.append((name[:-len(".ttl")], composers[int(value["composer"])],
                      value["temperature"], value["top_p"], int(value.get("seed", 1)),
                      steering_options(value)))
    return found


class GeneratedMusicTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.folder = tempfile.TemporaryDirectory(prefix="pianola-music-")
        cls.corpus = {}
        for composer in COMPOSERS:
            by_meter = {meter: stats(composer, meter) for meter in POOLED_METERS}
            cls.corpus[composer] = by_meter

    @classmethod
    def tearDownClass(cls) -> None:
        cls.folder.cleanup()

    def corpus_figure(self, composer: str, meter: str, figure: str) -> float:
        by_meter = self.corpus[composer]
        row = by_meter[meter][figure]
        if row["corpus_pieces"] >= MIN_PIECES:
            return row["corpus_mean"]
        rows = [by_meter[m][figure] for m in POOLED_METERS if by_meter[m][figure]["corpus_pieces"]]
        pieces = sum(r["corpus_pieces"] for r in rows)
        return sum(r["corpus_mean"] * r["corpus_pieces"] for r in rows) / pieces

    def most_repeats_in_corpus(self, composer: str) -> float:
        return max(self.corpus[composer][m]["longest_verbatim_run_bars"]["corpus_max"]
                   for m in POOLED_METERS
                   if self.corpus[composer][m]["longest_verbatim_run_bars"]["corpus_pieces"])

    def compose(self, label: str, composer: str, meter: str, temperature: float, top_p: float,
                seeds, options=()) -> list:
        files = []
        for seed in seeds:
            path = os.path.join(self.folder.name, "%s-%s-t%g-p%g-%d.mid" % (
                label.replace(" ", "-"), meter.replace("/", "-"), temperature, top_p, seed))
            subprocess.run([GENERATE, "--quiet", "--composer", composer, "--meter", meter,
                            "--temperature", str(temperature), "--top-p", str(top_p),
                            "--seed", str(seed), "--bars", str(BARS), *options, "-o", path],
                           check=True, timeout=600)
            files.append(path)
        return files

    def judge(self, label: str, composer: str, meter: str, temperature: float, top_p: float,
              seeds, options=()) -> list:
        """The ways this setting fails, as sentences (none when it makes music)."""
        files = self.compose(label, composer, meter, temperature, top_p, seeds, options)
        made = stats(composer, meter, files)
        faults = []
        for figure in ("silent_last_beat_bars_pct", "silent_beats_pct"):
            limit = 2 * self.corpus_figure(composer, meter, figure)
            if made[figure]["generated"] > limit + 1e-9:
                faults.append("%s: %.2f, more than twice the corpus' %.2f"
                              % (figure, made[figure]["generated"], limit / 2))
        # A set Density asks for its step's notes per beat, not the corpus'.
        asked = options[list(options).index("--density") + 1] \
            if "--density" in options else "auto"
        least = (density_targets()[asked] if asked != "auto" else
                 self.corpus_figure(composer, meter, "notes_per_beat")) / 2
        if made["notes_per_beat"]["generated"] < least:
            faults.append("notes_per_beat: %.2f, under half %s %.2f"
                          % (made["notes_per_beat"]["generated"],
                             "the corpus'" if asked == "auto" else "step %s's" % asked,
                             2 * least))
        most = self.most_repeats_in_corpus(composer)
        run = made["longest_verbatim_run_bars"]["generated_max"]
        if run > most:
            faults.append("a bar played %d times in a row; never more than %d in the corpus"
                          % (run, most))
        return ["%s %s at temperature %g, top-p %g: %s" % (label, meter, temperature, top_p, f)
                for f in faults]

    def judge_all(self, settings) -> list:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            return [fault for faults in pool.map(lambda s: self.judge(*s), settings)
                    for fault in faults]

    def test_every_composer_meter_and_temperature_makes_music(self) -> None:
        settings = [(composer, composer, meter, temperature, TOP_P, SEEDS)
                    for composer in COMPOSERS for meter in METERS
                    for temperature in TEMPERATURES]
        faults = self.judge_all(settings)
        if faults:
            self.fail("%d of %d settings fail:\n%s" % (len(faults), len(settings),
                                                       "\n".join(faults)))

    def test_every_preset_makes_music_in_every_meter(self) -> None:
        settings = []
        for name, composer, temperature, top_p, seed, options in presets():
            if composer not in COMPOSERS:
                continue
            for meter in METERS:
                settings.append(("preset " + name, composer, meter, temperature, top_p,
                                 tuple(seed + k for k in range(len(SEEDS))), options))
        self.assertTrue(settings, "no presets found")
        faults = self.judge_all(settings)
        if faults:
            self.fail("\n".join(faults))


if __name__ == "__main__":
    unittest.main()
