"""The attribution the corpus licences require, as Markdown for models/README.md: Bernd
Krueger's piano-midi.de collection as a whole, and every Mutopia piece with its typesetter and
licence, from the corpus catalog (catalog.tsv: source, composer, file, title, licence, origin).

API:
    attribution_markdown(catalog_path, used_files=None) -> str
"""
import csv
from typing import Optional, Set


def attribution_markdown(catalog_path: str, used_files: Optional[Set[str]] = None) -> str:
    with open(catalog_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if used_files is not None:
        rows = [r for r in rows if r["file"] in used_files]
    krueger = [r for r in rows if r["source"] == "piano-midi.de"]
    mutopia = [r for r in rows if r["source"] == "mutopia"]
    lines = []
    if krueger:
        lines += ["**piano-midi.de** (%d files): Name: Bernd Krueger, Source: "
                  "http://www.piano-midi.de, licence Creative Commons BY-SA 3.0 Germany "
                  "(http://creativecommons.org/licenses/by-sa/3.0/de/deed.en)." % len(krueger),
                  ""]
    if mutopia:
        lines += ["**The Mutopia Project** (www.mutopiaproject.org), %d pieces, each typeset "
                  "by the person named, under the licence given:" % len(mutopia), "",
                  "| composer | piece | file | typeset by | licence |",
                  "|---|---|---|---|---|"]
        for r in sorted(mutopia, key=lambda r: (r["composer"], r["file"])):
            licence, _, typesetter = r["license"].partition("; Mutopia Project, typeset by ")
            lines.append("| %s | %s | `%s` | %s | %s |" % (
                r["composer"], r["title"].replace("|", "/"), r["file"].split("/")[-1],
                typesetter or "-", licence))
        lines.append("")
        lines.append("Each: \"The Mutopia Project (www.mutopiaproject.org), typeset by "
                     "<typesetter>\"; sources at github.com/MutopiaProject/MutopiaProject.")
    return "\n".join(lines) + "\n"
