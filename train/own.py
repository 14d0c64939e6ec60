"""A model of your own composer: a folder of MIDI files in, a `.pnm` file out.

`pianola-tokenize` reads a corpus through a catalog (columns source, composer, file, work);
for a folder of your own files this module writes one (each file its own work, so the
tokenizer can hold about a tenth of them out for validation), tokenizes the folder with it,
and fine-tunes the bundled network on the result, teaching your music to one composer class
(`--name`, any COMPOSER_ name of the vocabulary: the weights file keeps the vocabulary's
composer list, so the plugin and `pianola-generate --model FILE --composer NAME` find it).

API:
    write_catalog(midi_dir, composer, path) -> number of MIDI files listed
"""
import os


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
