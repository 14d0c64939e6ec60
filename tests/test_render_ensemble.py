"""pianola-render with an ensemble: the real plugin, through lilv, composes
violin and piano with the bundle's ensemble network, sends each part on its
role's MIDI channel, writes a MIDI file with a named track per part, and
plays each part on its own instrument.

That the violin is heard is shown by subtraction: the saved state's
timeline is played back twice (--restore-state), once whole and once with
the violin's notes taken out. FluidSynth mixes voices by adding them, so
the difference of the two renders is the violin's sound alone: it must be
there, and the piano's sound without it too.
"""
import base64
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_render import (RENDER, RENDER_TIMEOUT_S, lv2_environment, midi_events,  # noqa: E402
                         pianola_lv2_dir)

ENSEMBLE_MODEL = os.path.join("models", "ensembles.pnm")
PIANO, VIOLIN_1 = 0, 1  # roles, and so MIDI channels (src/parts.h)
BARS = 8
TEMPO = 120
SAMPLE_RATE = 48000
TIMELINE = re.compile(r'(<urn:pianola:pianola#timeline> \[\s*a <urn:pianola:pianola#TimelineNotes> ;'
                      r'\s*rdf:value """)(.*?)(""")', re.DOTALL)
NOTES_HEADER, NOTE_RECORD = 16, 18  # notes format 3 (plugin/state_encoding.h)


def read_tracks(path: str) -> list:
    """[(name, program, {channel: note-ons})] for each track of a MIDI file."""
    tracks = []
    for number, _, status, data in midi_events(path):
        while len(tracks) <= number:
            tracks.append(["", None, {}])
        track = tracks[number]
        if status == 0xFF and data[0] == 0x03 and not track[0]:
            track[0] = bytes(data[2:]).decode()
        elif status & 0xF0 == 0xC0:
            track[1] = data[0]
        elif status & 0xF0 == 0x90 and data[1] > 0:
            track[2][status & 0x0F] = track[2].get(status & 0x0F, 0) + 1
    return [tuple(track) for track in tracks]


def read_frames(path: str) -> list:
    """The left channel of a 24-bit stereo WAV, as integers."""
    with wave.open(path) as audio:
        raw = audio.readframes(audio.getnframes())
    return [int.from_bytes(raw[i:i + 3], "little", signed=True) for i in range(0, len(raw), 6)]


def rms(samples: list) -> float:
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5 / 2 ** 23


def without_part(state: str, part: int) -> tuple:
    """The state with the part's notes taken out of its timeline, and how
    many there were; the horizon stays."""
    match = TIMELINE.search(state)
    if not match:
        raise AssertionError("no timeline in the saved state")
    notes = base64.b64decode("".join(match.group(2).split()))
    if notes[:4] != b"PNTL" or struct.unpack("<I", notes[4:8])[0] != 3:
        raise AssertionError("the saved timeline is not of notes format 3")
    count = struct.unpack("<I", notes[12:16])[0]
    records = [notes[NOTES_HEADER + i * NOTE_RECORD:NOTES_HEADER + (i + 1) * NOTE_RECORD]
               for i in range(count)]
    kept = [record for record in records if record[17] != part]
    header = notes[:12] + struct.pack("<I", len(kept))
    text = base64.b64encode(header + b"".join(kept)).decode()
    return (state[:match.start(2)] + text + state[match.end(2):], count - len(kept))


class RenderedEnsemble(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.work_dir = tempfile.mkdtemp(prefix="pianola-render-ensemble-")
        lv2_dir = pianola_lv2_dir(cls.work_dir)
        if not os.path.exists(os.path.join(lv2_dir, "pianola.lv2", ENSEMBLE_MODEL)):
            shutil.rmtree(cls.work_dir, ignore_errors=True)
            raise AssertionError("the bundle has no %s" % ENSEMBLE_MODEL)
        cls.env = lv2_environment(lv2_dir)
        cls.state = cls.path("violin-piano.ttl")
        cls.render("violin-piano", "--ensemble", "violin_piano", "--seed", "3",
                   "--midi", cls.path("violin-piano.mid"), "--save-state", cls.state)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    @classmethod
    def path(cls, name: str) -> str:
        return os.path.join(cls.work_dir, name)

    @classmethod
    def render(cls, name: str, *arguments: str) -> str:
        done = subprocess.run([RENDER, "--bars", str(BARS), "--tempo", str(TEMPO),
                               "-o", cls.path(name + ".wav")] + list(arguments), env=cls.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=RENDER_TIMEOUT_S)
        if done.returncode != 0:
            raise AssertionError("pianola-render %s failed: %s" % (" ".join(arguments),
                                                                   done.stdout[-2000:]))
        return done.stdout

    def test_each_part_is_a_named_track_on_its_roles_channel(self) -> None:
        tracks = read_tracks(self.path("violin-piano.mid"))
        parts = [(name, program, channels) for name, program, channels in tracks if name]
        print("# tracks: %s" % "; ".join("%s, program %s, note-ons by channel %s"
                                         % track for track in parts))
        self.assertEqual([(name, program) for name, program, _ in parts],
                         [("Piano", 0), ("Violin I", 40)])
        self.assertEqual(list(parts[0][2]), [PIANO], "the piano's notes on channel 1 alone")
        self.assertEqual(list(parts[1][2]), [VIOLIN_1], "the violin's notes on channel 2 alone")
        self.assertGreater(parts[1][2][VIOLIN_1], 4, "the violin plays more than a few notes")

    def test_the_violin_is_heard_beside_the_piano(self) -> None:
        with open(self.state) as saved:
            state = saved.read()
        solo, violin_notes = without_part(state, VIOLIN_1)
        self.assertGreater(violin_notes, 4, "the saved timeline holds few violin notes")
        piano_only = self.path("piano-only.ttl")
        with open(piano_only, "w") as out:
            out.write(solo)
        self.render("whole", "--restore-state", self.state)
        self.render("piano-only", "--restore-state", piano_only)
        whole, piano = read_frames(self.path("whole.wav")), read_frames(self.path("piano-only.wav"))
        # The timeline's bars, less the last: past it the two compose on, apart.
        frames = (BARS - 1) * 4 * SAMPLE_RATE * 60 // TEMPO
        violin = [a - b for a, b in zip(whole[:frames], piano[:frames])]
        print("# %d violin notes; RMS over %d frames: whole %.4f, piano alone %.4f, "
              "their difference (the violin) %.4f" % (violin_notes, frames, rms(whole[:frames]),
                                                      rms(piano[:frames]), rms(violin)))
        self.assertGreater(rms(piano[:frames]), 0.003, "the piano is not heard")
        self.assertGreater(rms(violin), 0.003, "the violin is not heard")


if __name__ == "__main__":
    unittest.main()
