"""Tests of the training pipeline (train/) on a small synthetic corpus in the tokenizer's file
format: training lowers the loss, an interrupted run resumes exactly, the weights file follows
docs/weights-format.md byte for byte and loads back into the same network, and the
augmentation, baseline and copy measure do what they say.

The vocabulary is the C codec's (pianola-tokenize --vocab from $PIANOLA_BUILD, as ./waf test
sets it), and the copy measure reads its notes through the codec too."""
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import numpy as np
import torch

from train import codec
from train.data import Corpus, Piece, Vocabulary, WindowSampler, part_ranges
from train.evaluate import (PITCH_STEP, evaluate, longest_copied_run, onset_codes,
                            piece_onsets)
from train.export import read_weights, write_weights
from train.model import PianolaLSTM
from train.ngram import KneserNey
from train.own import write_catalog
from train.synthetic import write_corpus
from train.train import TrainConfig, fit

COMPOSERS = ["mozart", "brahms", "schumann", "rachmaninoff", "bach"]
QUARTET = ("violin_1", "violin_2", "viola", "cello")


def parts_of_notes(tokens: np.ndarray, vocab: Vocabulary):
    """(role, pitch) of every note of a window or piece: a note's role is the last PART
    token's before it after the first BAR."""
    found, part, seen_bar = [], None, False
    for token in tokens:
        name = vocab.names[token]
        seen_bar = seen_bar or name == "BAR"
        if seen_bar and name.startswith("PART_"):
            part = name[len("PART_"):]
        elif vocab.pitch_of[token] >= 0:
            found.append((part, int(vocab.pitch_of[token])))
    return found


def small_config(root: str, **changes) -> TrainConfig:
    values = dict(tokens=os.path.join(root, "tokens"), run_dir=os.path.join(root, "run"),
                  ckpt_dir=os.path.join(root, "ckpt"), embed=16, hidden=32, layers=2,
                  dropout=0.1, batch=8, length=48, lr=1e-2, warmup=5, steps=60,
                  eval_every=20, log_every=5, patience=100, val_tokens=2000, quiet=True)
    values.update(changes)
    return TrainConfig(**values)


class TrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        cls.root = tempfile.mkdtemp(prefix="pianola-test-train-")
        cls.vocab = codec.vocabulary()
        write_corpus(os.path.join(cls.root, "tokens"), cls.vocab, COMPOSERS, 3, 12, seed=3)
        # an ensemble corpus as `pianola-tokenize` writes the chamber corpus: string quartets
        # and songs, pieces lying 5 above and 6 below the key frame
        write_corpus(os.path.join(cls.root, "quartets"), cls.vocab, ["haydn", "mozart"], 3, 6,
                     seed=4, parts=QUARTET, frame_shifts=(5, -6, 0))
        write_corpus(os.path.join(cls.root, "songs"), cls.vocab, ["schumann"], 3, 6, seed=5,
                     parts=("piano", "melody"), frame_shifts=(0, 3))

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.root, ignore_errors=True)

    def fresh(self, name: str) -> str:
        path = os.path.join(self.root, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        os.symlink(os.path.join(self.root, "tokens"), os.path.join(path, "tokens"))
        return path

    def test_tiny_training_run_lowers_the_loss(self) -> None:
        result = fit(small_config(self.fresh("tiny")))
        first, last = np.mean(result["losses"][:5]), np.mean(result["losses"][-5:])
        self.assertLess(last, first - 1.0,
                        "training loss went from %.3f to %.3f nats per token, expected a drop "
                        "of at least 1" % (first, last))
        self.assertTrue(os.path.exists(os.path.join(self.root, "tiny", "run", "loss.png")),
                        "no loss-curve PNG written")

    def test_resumed_run_repeats_the_uninterrupted_losses(self) -> None:
        whole = fit(small_config(self.fresh("whole"), steps=16, eval_every=4, dropout=0.3))
        parts = self.fresh("parts")
        before = fit(small_config(parts, steps=16, eval_every=4, dropout=0.3, halt_after=6))
        after = fit(small_config(parts, steps=16, eval_every=4, dropout=0.3))
        self.assertEqual(before["steps"], 6, "the first part did not halt after 6 steps")
        self.assertEqual(before["losses"] + after["losses"], whole["losses"],
                         "interrupted at step 6 and resumed, the losses differ from the run "
                         "that never stopped")
        self.assertEqual(after["best_val"], whole["best_val"])

    def test_export_then_load_gives_identical_logits(self) -> None:
        torch.manual_seed(5)
        model = PianolaLSTM(len(self.vocab), len(self.vocab.composers), 24, 40, 2, 0.2).eval()
        path = os.path.join(self.fresh("export"), "model.pnm")
        write_weights(model, path, self.vocab.signature, self.vocab.composers)
        loaded, meta = read_weights(path)
        tokens = torch.randint(1, len(self.vocab), (3, 50))
        composers = torch.tensor([0, 5, len(self.vocab.composers) - 1])
        expected, _ = model(tokens, composers)
        got, _ = loaded(tokens, composers)
        self.assertTrue(torch.equal(expected, got), "logits differ after export and load by "
                        "up to %g" % float((expected - got).abs().max()))
        self.assertEqual(meta["signature"], self.vocab.signature)
        self.assertEqual(meta["composer_names"], self.vocab.composers)
        self.assertFalse(meta["key_frame"])
        write_weights(model, path, self.vocab.signature, self.vocab.composers, key_frame=True)
        self.assertTrue(read_weights(path)[1]["key_frame"])

    def test_init_from_a_model_of_a_shorter_vocabulary_keeps_what_it_knew(self) -> None:
        """A vocabulary that gained tokens after the old ones (SOURCE_*) trains on from the
        old weights: the old tokens' rows carry over, the new ones are as unlikely as the
        rarest old token, and a vocabulary that changed otherwise is refused."""
        from train.train import build_model, vocabulary_prefix_signature
        torch.manual_seed(6)
        old_size = len(self.vocab) - 2
        old = PianolaLSTM(old_size, len(self.vocab.composers), 16, 24, 2).eval()
        root = self.fresh("grown")
        path = os.path.join(root, "old.pnm")
        write_weights(old, path, vocabulary_prefix_signature(self.vocab, old_size),
                      self.vocab.composers)
        grown = build_model(small_config(root, init=path, dropout=0.0), self.vocab).eval()
        self.assertEqual(grown.vocab_size, len(self.vocab))
        tokens = torch.randint(1, old_size, (2, 30))
        composers = torch.tensor([0, 3])
        expected, _ = old(tokens, composers)
        got, _ = grown(tokens, composers)
        self.assertTrue(torch.allclose(expected, got[:, :, :old_size], atol=1e-6))
        self.assertTrue(torch.equal(grown.output.bias[old_size:],
                                    old.output.bias.min().expand(2)))
        write_weights(old, path, self.vocab.signature ^ 1, self.vocab.composers)
        with self.assertRaises(ValueError):
            build_model(small_config(root, init=path), self.vocab)

    def test_density_conditioning_is_heard_and_carried(self) -> None:
        """A density-conditioned network: the step in force changes the logits after a DENSITY
        token, a sequence scored in chunks (its state carrying the step) gives the logits of
        the whole, export and load keep it, and a network grown from one without the
        conditioning starts as that network."""
        from train.model import DENSITY_FIRST_TOKEN, density_in_force
        from train.train import build_model
        torch.manual_seed(8)
        model = PianolaLSTM(len(self.vocab), len(self.vocab.composers), 16, 24, 2,
                            density=True).eval()
        tokens = torch.randint(1, DENSITY_FIRST_TOKEN, (2, 40))
        tokens[:, 10] = DENSITY_FIRST_TOKEN          # sparse from position 10
        tokens[0, 25] = DENSITY_FIRST_TOKEN + 4      # very busy from 25, in row 0 only
        rows = density_in_force(tokens, torch.zeros(2, dtype=torch.long))
        self.assertEqual(rows[0, :10].tolist(), [0] * 10)
        self.assertEqual(rows[0, 10:25].tolist(), [1] * 15)
        self.assertEqual(rows[0, 25:].tolist(), [5] * 15)
        self.assertEqual(rows[1, 25:].tolist(), [1] * 15)
        composers = torch.tensor([0, 0])
        whole, _ = model(tokens, composers)
        other = tokens.clone()
        other[0, 25] = DENSITY_FIRST_TOKEN + 2
        changed, _ = model(other, composers)
        self.assertTrue(torch.equal(whole[0, :25], changed[0, :25]))
        self.assertFalse(torch.allclose(whole[0, 30], changed[0, 30]),
                         "the density step in force changed nothing five tokens on")
        state, parts = None, []
        for first in range(0, 40, 7):
            logits, state = model(tokens[:, first:first + 7], composers, state)
            parts.append(logits)
        self.assertTrue(torch.allclose(whole, torch.cat(parts, dim=1), atol=1e-6),
                        "scored in chunks, the density step in force was lost")
        root = self.fresh("density")
        path = os.path.join(root, "density.pnm")
        write_weights(model, path, self.vocab.signature, self.vocab.composers)
        loaded, _ = read_weights(path)
        self.assertIsNotNone(loaded.density_embedding)
        self.assertTrue(torch.equal(loaded(tokens, composers)[0], whole))
        plain = PianolaLSTM(len(self.vocab), len(self.vocab.composers), 16, 24, 2).eval()
        write_weights(plain, path, self.vocab.signature, self.vocab.composers)
        grown = build_model(small_config(root, init=path, dropout=0.0), self.vocab).eval()
        self.assertIsNotNone(grown.density_embedding)
        self.assertTrue(torch.allclose(plain(tokens, composers)[0], grown(tokens, composers)[0],
                                       atol=1e-6),
                        "a network grown into the density conditioning did not start as the "
                        "one it grew from")

    def test_parts_conditioning_is_heard_and_carried(self) -> None:
        """A parts-conditioned network: every role whose PART token was read stays in force
        (the ensemble is heard at every step, long after its header), a sequence scored in
        chunks gives the logits of the whole, export and load keep it, and a network grown
        from one without the conditioning starts as that network."""
        from train.model import PART_FIRST_TOKEN, PART_ROLES, parts_in_force
        from train.train import build_model
        self.assertEqual(self.vocab.part_tokens,
                         list(range(PART_FIRST_TOKEN, PART_FIRST_TOKEN + PART_ROLES)))
        torch.manual_seed(10)
        model = PianolaLSTM(len(self.vocab), len(self.vocab.composers), 16, 24, 2,
                            density=True, parts=True).eval()
        with torch.no_grad():
            model.part_embedding.weight.normal_()
        tokens = torch.randint(1, PART_FIRST_TOKEN, (2, 60))
        cello, piano = PART_FIRST_TOKEN + 4, PART_FIRST_TOKEN
        tokens[:, 2], tokens[:, 3] = piano, cello    # the header declares cello and piano
        tokens[1, 3] = piano                         # row 1: the piano alone
        rows = parts_in_force(tokens, torch.zeros(2, PART_ROLES))
        self.assertEqual(rows[0, :2].sum().item(), 0)
        self.assertEqual(rows[0, 3:].tolist(), [[1.0, 0, 0, 0, 1.0, 0]] * 57)
        self.assertEqual(rows[1, 3:].tolist(), [[1.0, 0, 0, 0, 0, 0]] * 57)
        composers = torch.tensor([0, 0])
        whole, _ = model(tokens, composers)
        same = tokens.clone()
        same[1, 3] = cello
        cello_too, _ = model(same, composers)
        self.assertFalse(torch.allclose(whole[1, 59], cello_too[1, 59]),
                         "the cello declared 56 tokens before changed nothing")
        state, chunks = None, []
        for first in range(0, 60, 7):
            logits, state = model(tokens[:, first:first + 7], composers, state)
            chunks.append(logits)
        self.assertTrue(torch.allclose(whole, torch.cat(chunks, dim=1), atol=1e-6),
                        "scored in chunks, the parts in force were lost")
        root = self.fresh("parts")
        path = os.path.join(root, "parts.pnm")
        write_weights(model, path, self.vocab.signature, self.vocab.composers)
        loaded, _ = read_weights(path)
        self.assertIsNotNone(loaded.part_embedding)
        self.assertTrue(torch.equal(loaded(tokens, composers)[0], whole))
        plain = PianolaLSTM(len(self.vocab), len(self.vocab.composers), 16, 24, 2,
                            density=True).eval()
        write_weights(plain, path, self.vocab.signature, self.vocab.composers)
        grown = build_model(small_config(root, init=path, dropout=0.0), self.vocab).eval()
        self.assertIsNotNone(grown.part_embedding)
        self.assertTrue(torch.allclose(plain(tokens, composers)[0], grown(tokens, composers)[0],
                                       atol=1e-6),
                        "a network grown into the parts conditioning did not start as the one "
                        "it grew from")

    def test_a_solo_piano_export_drops_the_parts_it_never_learned(self) -> None:
        from train.export import solo_piano
        torch.manual_seed(4)
        model = PianolaLSTM(len(self.vocab), len(self.vocab.composers), 16, 24, 2,
                            density=True, parts=True).eval()
        with torch.no_grad():
            model.part_embedding.weight.normal_()
        cut, signature = solo_piano(model, self.vocab)
        first = min(i for i, n in enumerate(self.vocab.names) if n.startswith("PART_"))
        self.assertEqual((cut.vocab_size, cut.part_embedding), (first, None))
        self.assertEqual(signature, self.vocab.earlier_signatures[first])
        piece = Corpus.read(os.path.join(self.root, "tokens")).pieces[0]
        tokens = torch.from_numpy(piece.tokens[:120]).unsqueeze(0)
        composers = torch.tensor([self.vocab.composer_class[piece.composer]])
        whole, _ = model(tokens, composers)
        self.assertTrue(torch.equal(cut(tokens, composers)[0], whole[..., :first]),
                        "cut to solo piano, the network's logits changed")
        with self.assertRaises(ValueError):
            solo_piano(model, Vocabulary(self.vocab.names[:first], signature))

    def test_a_notes_only_folder_teaches_its_notes_but_not_its_dynamics(self) -> None:
        root = self.fresh("notes-only")
        pieces_dir, songs_dir = os.path.join(self.root, "tokens"), os.path.join(root, "songs")
        shutil.copytree(pieces_dir, songs_dir)
        corpus = Corpus.read([pieces_dir, songs_dir], notes_only=[songs_dir])
        vocab = corpus.vocab
        half = len(corpus.pieces) // 2
        self.assertTrue(all(p.dynamics for p in corpus.pieces[:half]))
        self.assertFalse(any(p.dynamics for p in corpus.pieces[half:]))
        sampler = WindowSampler(corpus.split("train"), vocab, 40, seed=5, romantic_p=0.0)
        tokens, _, targets = sampler.batch(64)
        following = tokens[:, 1:]
        velocity = np.isin(following, vocab.velocity_tokens)
        kept = dropped = 0
        for row in range(len(tokens)):
            self.assertTrue(velocity[row].any(), "a window without a VEL token")
            # every other target is the next token, whichever folder the window is from
            np.testing.assert_array_equal(targets[row][~velocity[row]],
                                          following[row][~velocity[row]])
            if np.array_equal(targets[row], following[row]):
                kept += 1
            else:
                self.assertTrue(np.all(targets[row][velocity[row]] == vocab.pad),
                                "a window's VEL targets were dropped in part")
                dropped += 1
        self.assertTrue(kept > 10 and dropped > 10, (kept, dropped))
        with self.assertRaises(ValueError):
            Corpus.read([pieces_dir], notes_only=[songs_dir])

    def test_key_frame_moves_each_piece_by_its_frame_shift(self) -> None:
        root = self.fresh("frame")
        tokens_dir = os.path.join(root, "shifted")
        shutil.copytree(os.path.join(self.root, "tokens"), tokens_dir)
        manifest = os.path.join(tokens_dir, "manifest.tsv")
        with open(manifest, encoding="utf-8") as f:
            lines = f.read().splitlines()
        # every piece claimed to lie 2 semitones above its frame (D major)
        lines = [lines[0]] + [line.rsplit("\t", 2)[0] + "\tD major\t2" for line in lines[1:]]
        with open(manifest, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        plain = Corpus.read(tokens_dir)
        framed = Corpus.read(tokens_dir, key_frame=True)
        vocab = plain.vocab
        for a, b in zip(plain.pieces, framed.pieces):
            self.assertEqual(b.frame_shift, 2)
            pitches_a, pitches_b = vocab.pitch_of[a.tokens], vocab.pitch_of[b.tokens]
            notes = pitches_a >= 0
            np.testing.assert_array_equal(pitches_b[notes], np.maximum(pitches_a[notes] - 2, 21))
            np.testing.assert_array_equal(a.tokens[~notes], b.tokens[~notes])
        # key-frame augmentation moves whole octaves only
        sampler = WindowSampler(framed.split("train"), vocab, 40, seed=3, max_shift=12,
                                romantic_p=0.0, shift_step=12)
        moved = set()
        for _ in range(60):
            window, composer, _ = sampler.window()
            source = [p for p in framed.split("train") if p.composer == vocab.composers[composer]]
            for shift in (-12, 0, 12):
                table = vocab.transpose_table(shift)
                views = [np.lib.stride_tricks.sliding_window_view(table[p.tokens], 36)
                         for p in source]
                if any(np.any(np.all(v == window[5:], axis=1)) for v in views):
                    moved.add(shift)
                    break
            else:
                self.fail("a window moved by something other than whole octaves")
        self.assertIn(0, moved)
        self.assertTrue(moved & {-12, 12}, "no window moved by an octave")

    def test_weights_file_follows_the_documented_layout(self) -> None:
        torch.manual_seed(6)
        vocab_size, composers, embed, hidden, layers = len(self.vocab), 27, 8, 12, 3
        model = PianolaLSTM(vocab_size, composers, embed, hidden, layers)
        names = ["c%02d" % i for i in range(composers)]
        path = os.path.join(self.fresh("layout"), "model.pnm")
        write_weights(model, path, 0x0123456789ABCDEF, names, key_frame=True)
        data = open(path, "rb").read()
        self.assertEqual(data[:8], b"PIANOLA\0")
        self.assertEqual(struct.unpack_from("<III", data, 8)[0:2], (2, 1))
        self.assertEqual(struct.unpack_from("<Q", data, 16)[0], 0x0123456789ABCDEF)
        self.assertEqual(struct.unpack_from("<6I", data, 24),
                         (vocab_size, composers, embed, hidden, layers, 4 + 4 * layers))
        self.assertEqual(struct.unpack_from("<I", data, 48)[0], 1, "the key-frame flag")
        self.assertEqual(data[52:52 + 32], b"c00".ljust(32, b"\0"))
        offset = 52 + 32 * composers
        expected = [("token_embedding", (vocab_size, embed)),
                    ("composer_embedding", (composers, embed))]
        for layer in range(layers):
            width = embed if layer == 0 else hidden
            expected += [("lstm.%d.weight_ih" % layer, (4 * hidden, width)),
                         ("lstm.%d.weight_hh" % layer, (4 * hidden, hidden)),
                         ("lstm.%d.bias_ih" % layer, (4 * hidden,)),
                         ("lstm.%d.bias_hh" % layer, (4 * hidden,))]
        expected += [("output.weight", (vocab_size, hidden)), ("output.bias", (vocab_size,))]
        for name, shape in expected:
            self.assertEqual(data[offset:offset + 32], name.encode().ljust(32, b"\0"),
                             "tensor header at byte %d" % offset)
            rank = struct.unpack_from("<I", data, offset + 32)[0]
            dims = struct.unpack_from("<%dI" % rank, data, offset + 36)
            self.assertEqual(dims, shape, "shape of %s" % name)
            offset += 36 + 4 * rank
            if name == "lstm.1.weight_hh":
                values = np.frombuffer(data, "<f4", int(np.prod(shape)), offset)
                np.testing.assert_array_equal(
                    values.reshape(shape), model.lstm.weight_hh_l1.detach().numpy())
            offset += 4 * int(np.prod(shape))
        self.assertEqual(offset, len(data) - 4, "bytes left between the tensors and the CRC")
        self.assertEqual(struct.unpack("<I", data[-4:])[0], zlib.crc32(data[:-4]))

    def test_transposition_keeps_every_pitch_on_the_keyboard(self) -> None:
        corpus = Corpus.read(os.path.join(self.root, "tokens"))
        vocab = corpus.vocab
        piece = corpus.split("train")[0]
        # a piece reaching both ends of the keyboard can only be transposed by 0
        piece.tokens = piece.tokens.copy()
        notes = np.nonzero(vocab.pitch_of[piece.tokens] >= 0)[0]
        piece.tokens[notes[0]] = vocab.pitch_token[21]
        piece.tokens[notes[1]] = vocab.pitch_token[108]
        piece.lowest_pitch, piece.highest_pitch = 21, 108
        sampler = WindowSampler([piece], vocab, 40, seed=2, max_shift=6, romantic_p=0.0)
        views = np.lib.stride_tricks.sliding_window_view(piece.tokens, 36)
        for _ in range(50):
            tokens, _, _ = sampler.window()
            # after the header: START COMPOSER SOURCE BAR METER
            self.assertTrue(np.any(np.all(views == tokens[5:], axis=1)),
                            "a piece spanning the whole keyboard was transposed")
        others = [p for p in corpus.split("train") if p is not piece]
        sampler = WindowSampler(others, vocab, 40, seed=2, max_shift=6, romantic_p=0.0)
        shifts = set()
        for _ in range(100):
            tokens, composer, _ = sampler.window()
            pitches = vocab.pitch_of[tokens]
            pitches = pitches[pitches >= 0]
            self.assertTrue(np.all((pitches >= 21) & (pitches <= 108)), "a pitch left the keyboard")
            source = [p for p in others if p.composer == vocab.composers[composer]]
            original = [np.lib.stride_tricks.sliding_window_view(p.tokens, 37) for p in source]
            shifts.add(any(np.any(np.all(v == tokens[4:], axis=1)) for v in original))
        self.assertEqual(shifts, {True, False},
                         "expected both transposed and untransposed windows")

    def test_windows_open_at_a_bar_line_with_the_meter_in_force(self) -> None:
        vocab = self.vocab
        ids = vocab.id_of
        tokens = [ids["START"], ids["COMPOSER_mozart"], ids["SOURCE_engraved"]]
        for bar in range(24):
            tokens += [ids["BAR"], ids["METER_4_4" if bar < 12 else "METER_3_4"]]
            for position in range(0, 96 if bar < 12 else 72, 24):
                tokens += [ids["POS_%d" % position], ids["PITCH_%d" % (60 + bar)], ids["VEL_8"],
                           ids["DUR_24"]]
        tokens.append(ids["END"])
        tokens = np.array(tokens, dtype=np.int64)
        piece = Piece(tokens=tokens, composer="mozart", work="w", split="train", path="p")
        sampler = WindowSampler([piece], vocab, 40, seed=5, max_shift=0, romantic_p=0.0)
        bars = np.nonzero(tokens == vocab.bar)[0]
        firsts = set()
        for _ in range(200):
            window, composer, _ = sampler.window()
            self.assertEqual(len(window), 41)
            self.assertEqual(list(window[:4]), [ids["START"], ids["COMPOSER_mozart"],
                                                ids["SOURCE_engraved"], ids["BAR"]])
            # the rest is the piece from the bar's first onset on
            body = window[5:]
            starts = [b for b in bars if np.array_equal(
                tokens[b + 1 + (tokens[b + 1] == window[4]):][:len(body)], body)]
            self.assertTrue(starts, "the window's body is not the piece after a bar line")
            bar = list(bars).index(starts[0])
            self.assertEqual(vocab.names[window[4]], "METER_4_4" if bar < 12 else "METER_3_4",
                             "bar %d opened without its meter" % bar)
            self.assertNotIn(window[5], vocab.meter_tokens, "a meter given twice")
            firsts.add(bar)
        self.assertIn(0, firsts)
        self.assertTrue({b for b in firsts if b >= 12}, "no window from the 3/4 bars")
        self.assertGreater(len(firsts), 12, "windows come from too few bar lines")

    def test_piano_windows_are_drawn_exactly_as_before_ensembles(self) -> None:
        """Windows of solo piano pieces carry no PART token and are the very windows (and
        classes) the sampler drew before windows declared an ensemble's parts: the digest is
        of the sampler of commit 0672b08 on this synthetic corpus (it changes with the codec's
        vocabulary, which makes the corpus)."""
        corpus = Corpus.read(os.path.join(self.root, "tokens"), key_frame=True)
        sampler = WindowSampler(corpus.split("train"), corpus.vocab, 40, seed=7, max_shift=12,
                                romantic_p=0.3, shift_step=12)
        digest = hashlib.sha256()
        for _ in range(200):
            window, composer, _ = sampler.window()
            self.assertFalse(np.isin(window, corpus.vocab.part_tokens).any())
            digest.update(window.astype("<i8").tobytes())
            digest.update(bytes([composer]))
        self.assertEqual(digest.hexdigest()[:16], "7b14f61573aef558",
                         "solo piano windows differ from those drawn before ensembles")

    def test_ensemble_windows_are_shown_as_the_menus_composers_now_and_then(self) -> None:
        """With ensemble_composer_p, a quartet's window carries a composer of the plugin's
        menu in about that share of draws (its class as well), its notes untouched; solo piano
        windows stay the very ones drawn without it."""
        corpus = Corpus.read(os.path.join(self.root, "quartets"))
        vocab = corpus.vocab
        piece = corpus.split("train")[0]
        plain = WindowSampler([piece], vocab, 60, seed=5, max_shift=0, romantic_p=0.0)
        shown = WindowSampler([piece], vocab, 60, seed=5, max_shift=0, romantic_p=0.0,
                              ensemble_composer_p=0.5)
        menu = {vocab.composer_class[c] for c in shown.menu}
        relabelled = 0
        for _ in range(200):
            window, composer, _ = shown.window()
            own = window[1] == vocab.id_of["COMPOSER_" + piece.composer]
            self.assertTrue(own or composer in menu)
            self.assertEqual(window[1], vocab.composer_tokens[composer])
            relabelled += not own or composer != vocab.composer_class[piece.composer]
        self.assertGreater(relabelled, 60, "too few windows shown as another composer")
        self.assertLess(relabelled, 140, "too many windows shown as another composer")
        self.assertTrue(plain.menu == () and len(shown.menu) >= 5)
        pianos = Corpus.read(os.path.join(self.root, "tokens"), key_frame=True).split("train")
        for p in (0.0, 1.0):
            sampler = WindowSampler(pianos, vocab, 40, seed=7, max_shift=12, romantic_p=0.3,
                                    shift_step=12, ensemble_composer_p=p)
            drawn = [sampler.window() for _ in range(50)]
            if p == 0.0:
                before = drawn
        self.assertTrue(all(np.array_equal(a[0], b[0]) and a[1] == b[1]
                            for a, b in zip(before, drawn)),
                        "solo piano windows changed with ensemble_composer_p")

    def test_ensemble_windows_declare_their_parts_before_the_first_bar(self) -> None:
        """A window from the middle of a quartet opens as the engine opens the music: START,
        COMPOSER, SOURCE, the piece's PART declarations, BAR and the meter in force, then the
        piece from that bar's first onset on."""
        corpus = Corpus.read(os.path.join(self.root, "quartets"))
        vocab = corpus.vocab
        ids = vocab.id_of
        piece = corpus.split("train")[0]
        self.assertEqual((piece.parts, piece.ensemble), (QUARTET, "string_quartet"))
        sampler = WindowSampler([piece], vocab, 60, seed=5, max_shift=0, romantic_p=0.0)
        bars = np.nonzero(piece.tokens == vocab.bar)[0]
        header = [ids["START"], ids["COMPOSER_" + piece.composer], ids["SOURCE_performed"]] + \
            [ids["PART_" + part] for part in QUARTET] + [ids["BAR"], ids["METER_4_4"]]
        firsts = set()
        for _ in range(60):
            window, _, _ = sampler.window()
            self.assertEqual(list(window[:len(header)]), header)
            body = window[len(header):]
            starts = [b for b in bars if np.array_equal(piece.tokens[b + 2:][:len(body)], body)]
            self.assertTrue(starts, "the window's body is not the piece after a bar line")
            firsts.add(int(starts[0]))
        self.assertGreater(len(firsts), 2, "windows come from too few bar lines")
        self.assertTrue(firsts - {bars[0]}, "no window from the middle of the piece")

    def test_transposition_keeps_every_part_in_its_instruments_range(self) -> None:
        """In the key frame a piece's tokens lie -frame_shift from the pitches that sound, and
        the grammar checks a role's range on the sounding pitch (the token's plus the key
        shift, pnl_grammar_set_range_shift): so every note of every window, token pitch plus
        its piece's frame_shift, lies in its role's range as `pianola-tokenize --parts`
        states it. The quartets reach their open strings, so they are never moved down an
        octave, and so never up either (that would raise their register); the songs' melody
        fills its range and is never moved."""
        ranges = part_ranges()
        self.assertEqual(ranges["violin_1"], (55, 103))
        self.assertEqual(ranges["cello"], (36, 88))
        for folder, allowed in (("quartets", {0}), ("songs", {0})):
            corpus = Corpus.read(os.path.join(self.root, folder), key_frame=True)
            vocab = corpus.vocab
            for piece in corpus.pieces:
                sampler = WindowSampler([piece], vocab, 80, seed=3, max_shift=12,
                                        romantic_p=0.0, shift_step=12)
                seen = set()
                for _ in range(30):
                    window, _, _ = sampler.window()
                    notes = parts_of_notes(window, vocab)
                    for part, pitch in notes:
                        sounding = pitch + piece.frame_shift
                        self.assertTrue(ranges[part][0] <= sounding <= ranges[part][1],
                                        "%s: a %s note sounds at %d, outside %s" % (
                                            piece.path, part, sounding, ranges[part]))
                    body = window[5 + len(piece.parts):]
                    seen |= {shift for shift in (-12, 0, 12) if any(
                        np.array_equal(moved[b + 2:][:len(body)], body)
                        for moved in [vocab.transpose_table(shift)[piece.tokens]]
                        for b in np.nonzero(piece.tokens == vocab.bar)[0])}
                self.assertEqual(seen, allowed, "%s: moved by %s" % (piece.path, sorted(seen)))

    def test_violin_sonatas_teach_the_cello_an_octave_lower(self) -> None:
        """With cello_from_violin, each training piece for violin and piano is read a second
        time as one for cello and piano: the cello plays the violin's notes an octave lower, in
        its range, the piano plays as it did, the codec's grammar takes the tokens (the
        tokenizer decodes them), and no validation piece is copied."""
        folder = os.path.join(self.root, "duos")
        write_corpus(folder, self.vocab, ["beethoven", "mozart"], 3, 6, seed=6,
                     parts=("piano", "violin_1"), frame_shifts=(0, 2))
        plain = Corpus.read(folder, key_frame=True)
        taught = Corpus.read(folder, key_frame=True, cello_from_violin=True)
        copies = [p for p in taught.pieces if p.ensemble == "cello_piano"]
        originals = [p for p in plain.pieces if p.split == "train"]
        self.assertEqual(len(copies), len(originals))
        self.assertEqual(len(taught.pieces), len(plain.pieces) + len(copies))
        low, high = part_ranges()["cello"]
        for original, copy in zip(originals, copies):
            self.assertEqual(copy.parts, ("piano", "cello"))
            self.assertEqual(copy.split, "train")
            before, after = parts_of_notes(original.tokens, plain.vocab), \
                parts_of_notes(copy.tokens, taught.vocab)
            self.assertEqual(len(before), len(after))
            violin = 0
            for (part, pitch), (new_part, new_pitch) in zip(before, after):
                if part == "violin_1":
                    violin += 1
                    self.assertEqual((new_part, new_pitch), ("cello", pitch - 12))
                    self.assertTrue(low <= new_pitch + copy.frame_shift <= high)
                else:
                    self.assertEqual((new_part, new_pitch), (part, pitch))
            self.assertGreater(violin, 10)
            path = os.path.join(self.root, "as-cello.tok")
            copy.tokens.astype("<u2").tofile(path)
            self.assertEqual(len(codec.notes(path)), len(after))

    def test_an_ensemble_is_moved_as_far_down_as_up(self) -> None:
        """A piece with parts is transposed within a symmetric range, keeping its mean
        register; a solo piano piece keeps the whole range the keyboard allows."""
        def piece(parts, part_shifts, lowest=40, highest=80):
            return Piece(tokens=np.zeros(3, dtype=np.int64), composer="mozart", work="w",
                         split="train", path="p", lowest_pitch=lowest, highest_pitch=highest,
                         parts=parts, part_shifts=part_shifts)
        quartet = ("violin_1", "violin_2", "viola", "cello")
        self.assertEqual(piece(quartet, (0, 14)).shifts(12, 12), (0, 0))
        self.assertEqual(piece(quartet, (-3, 14)).shifts(12, 1), (-3, 3))
        self.assertEqual(piece(quartet, (-13, 20)).shifts(12, 12), (-1, 1))
        self.assertEqual(piece(quartet, (-13, 5)).shifts(12, 1), (-5, 5))
        self.assertEqual(piece((), (-127, 127), 30, 100).shifts(12, 12), (0, 0))
        self.assertEqual(piece((), (-127, 127), 30, 90).shifts(12, 1), (-9, 12))
        self.assertEqual(piece((), (-127, 127), 30, 90).shifts(12, 12), (0, 1))

    def test_several_token_folders_train_as_one_corpus_with_figures_per_ensemble(self) -> None:
        """The piano tokens and the chamber tokens train together, each folder's pieces in its
        own split; fit's evaluations and `train evaluate` report each ensemble's validation
        figures besides the composers'; a folder of another vocabulary, or one written without
        the DENSITY tokens beside one with them, is refused with its name."""
        root = self.fresh("together")
        folders = [os.path.join(self.root, name) for name in ("tokens", "quartets", "songs")]
        corpus = Corpus.read(folders, key_frame=True)
        self.assertEqual(len(corpus.pieces), 15 + 6 + 3)
        for folder in folders:
            alone = Corpus.read(folder)
            self.assertEqual([(p.path, p.split) for p in alone.pieces],
                             [(p.path, p.split) for p in corpus.pieces
                              if p.path.startswith(folder + os.sep)])
        self.assertEqual({k: len(v) for k, v in corpus.by_ensemble("validation").items()},
                         {"solo_piano": 5, "melody_piano": 1, "string_quartet": 2})
        result = fit(small_config(root, tokens=tuple(folders), steps=4, eval_every=4,
                                  batch=4))
        self.assertEqual(result["steps"], 4)
        with open(os.path.join(root, "run", "log.csv"), encoding="utf-8") as f:
            header = f.readline().strip().split(",")
        for name in ("val_mozart", "val_solo_piano", "val_string_quartet",
                     "val_melody_piano", "val_all"):
            self.assertIn(name, header)
        # --ensemble-weight scales an ensemble's share of the windows; a name with no
        # training pieces is refused
        sampler = WindowSampler(corpus.split("train"), corpus.vocab, 40, seed=1,
                                romantic_p=0.0, ensemble_weight={"string_quartet": 0.0})
        quartet = corpus.vocab.id_of["PART_violin_2"]
        self.assertFalse(any(quartet in sampler.window()[0] for _ in range(100)))
        with self.assertRaises(ValueError):
            fit(small_config(root, tokens=tuple(folders), ensemble_weight="string_quartets=2"))
        rows = {row["composer"]: row for row in evaluate(None, corpus, orders=(2,),
                                                         say=lambda *a: None)}
        self.assertEqual(rows["string_quartet"]["pieces"], 2)
        self.assertEqual(sum(rows[e]["tokens"] for e in ("solo_piano", "string_quartet",
                                                         "melody_piano")),
                         rows["all"]["tokens"])
        # a vocabulary that differs, and one without the DENSITY tokens
        for name, names in (("renamed", self.vocab.names[:-1] + ["PART_harp"]),
                            ("before-density", self.vocab.names[:self.vocab.density_tokens[0]])):
            other = os.path.join(root, name)
            write_corpus(other, Vocabulary(names, self.vocab.signature ^ 1), ["mozart"], 2, 4)
            with self.assertRaises(ValueError) as refused:
                Corpus.read([folders[0], other])
            self.assertIn(other, str(refused.exception))
        # a start of the vocabulary in density mode is one with it
        shorter = os.path.join(root, "shorter")
        write_corpus(shorter, Vocabulary(self.vocab.names[:self.vocab.part_tokens[0]], 1,
                                         self.vocab.density_edges), ["mozart"], 2, 4)
        self.assertEqual(len(Corpus.read([shorter, folders[1]]).vocab), len(self.vocab))

    def test_init_grows_the_density_network_onto_the_part_tokens(self) -> None:
        """The bundled kind of network (435 tokens, density-conditioned) grows onto the
        ensemble vocabulary: its logits for every old token are unchanged with the density in
        force, the PART tokens start as unlikely as its rarest token, and it trains on."""
        from train.model import DENSITY_FIRST_TOKEN
        from train.train import build_model, vocabulary_prefix_signature
        torch.manual_seed(9)
        old_size = self.vocab.part_tokens[0]
        old = PianolaLSTM(old_size, len(self.vocab.composers), 16, 24, 2, density=True).eval()
        with torch.no_grad():
            old.density_embedding.weight.normal_()
        root = self.fresh("grown-parts")
        path = os.path.join(root, "old.pnm")
        write_weights(old, path, vocabulary_prefix_signature(self.vocab, old_size),
                      self.vocab.composers, key_frame=True)
        grown = build_model(small_config(root, init=path, dropout=0.0), self.vocab).eval()
        self.assertEqual(grown.vocab_size, len(self.vocab))
        tokens = torch.randint(1, DENSITY_FIRST_TOKEN, (2, 30))
        tokens[:, 5] = DENSITY_FIRST_TOKEN + 3
        composers = torch.tensor([2, 7])
        expected, _ = old(tokens, composers)
        got, _ = grown(tokens, composers)
        self.assertTrue(torch.allclose(expected, got[:, :, :old_size], atol=1e-6))
        self.assertTrue(torch.equal(grown.output.bias[old_size:],
                                    old.output.bias.min().expand(len(self.vocab) - old_size)))
        result = fit(small_config(root, tokens=(os.path.join(self.root, "tokens"),
                                                os.path.join(self.root, "quartets")),
                                  init=path, steps=3, eval_every=3, batch=4))
        self.assertEqual(result["steps"], 3)

    def test_romantic_class_is_drawn_for_romantic_sources_only(self) -> None:
        corpus = Corpus.read(os.path.join(self.root, "tokens"))
        vocab = corpus.vocab
        sampler = WindowSampler(corpus.split("train"), vocab, 40, seed=4, romantic_p=0.5)
        romantic = vocab.composer_class["romantic"]
        seen = {}
        for _ in range(400):
            tokens, composer, _ = sampler.window()
            seen[composer] = seen.get(composer, 0) + 1
            composer_tokens = [t for t in tokens if t in vocab.composer_tokens]
            for t in composer_tokens:
                self.assertEqual(vocab.composer_tokens.index(t), composer,
                                 "the COMPOSER token disagrees with the window's class")
        self.assertGreater(seen.get(romantic, 0), 40, "the romantic class was rarely drawn")
        self.assertGreater(seen.get(vocab.composer_class["mozart"], 0), 40)

    def test_kneser_ney_distribution_sums_to_one(self) -> None:
        rng = np.random.default_rng(0)
        sequences = [rng.integers(1, 9, size=300) for _ in range(4)]
        model = KneserNey(4, 12).fit(sequences)
        for context in ([1, 2, 3], [11, 10, 9], [3, 3, 3]):
            total = sum(2.0 ** model.log2_probabilities(np.array(context + [w]), 3)[0]
                        for w in range(12))
            self.assertAlmostEqual(total, 1.0, 9, "P(. | %s) sums to %r" % (context, total))
        seen = -model.log2_probabilities(sequences[0], 1).mean()
        fresh = -model.log2_probabilities(rng.integers(1, 9, size=300), 1).mean()
        self.assertLess(seen, fresh, "training text should be likelier than fresh text")

    def test_copy_measure_finds_a_planted_run(self) -> None:
        vocab = self.vocab
        rng = np.random.default_rng(1)
        corpus = [rng.integers(0, 5000, size=400) for _ in range(3)]
        generated = rng.integers(5000, 9000, size=300)
        generated[100:137] = corpus[1][50:87]
        generated[200:210] = corpus[2][0:10]
        self.assertEqual(longest_copied_run(generated, corpus), (37, 100))
        # runs never span two corpus pieces
        joined = np.concatenate([corpus[0][-5:], corpus[1][:5]])
        self.assertEqual(longest_copied_run(joined, corpus)[0], 5)

    def test_copy_measure_reads_onsets_through_the_codec(self) -> None:
        ids = self.vocab.id_of
        names = ["START", "COMPOSER_mozart", "BAR", "METER_4_4", "POS_0", "PITCH_60", "VEL_3",
                 "DUR_6", "PITCH_64", "VEL_3", "DUR_6", "POS_12", "PITCH_67", "VEL_3", "DUR_6",
                 "BAR", "METER_4_4", "POS_6", "PITCH_108", "VEL_3", "DUR_6", "END"]
        path = os.path.join(self.fresh("onsets"), "piece.tok")
        np.array([ids[n] for n in names], dtype="<u2").tofile(path)
        notes = codec.notes(path)
        self.assertEqual(notes[:, [codec.BAR, codec.POSITION, codec.PITCH]].tolist(),
                         [[1, 0, 60], [1, 0, 64], [1, 12, 67], [2, 6, 108]])
        self.assertEqual(list(onset_codes(notes)),
                         [60 * PITCH_STEP, 64 * PITCH_STEP, 67 * PITCH_STEP + 12,
                          108 * PITCH_STEP + 6])
        # into the key frame as Corpus.read moves the tokens, the top pitch held on the piano
        self.assertEqual(list(onset_codes(notes, 2) // PITCH_STEP), [62, 66, 69, 108])
        # a corpus piece's onsets in the key frame: the pitches Corpus.read gives its tokens
        tokens_dir = os.path.join(self.root, "onsets", "shifted")
        shutil.copytree(os.path.join(self.root, "tokens"), tokens_dir)
        manifest = os.path.join(tokens_dir, "manifest.tsv")
        with open(manifest, encoding="utf-8") as f:
            lines = f.read().splitlines()
        lines = [lines[0]] + [line.rsplit("\t", 2)[0] + "\tE major\t4" for line in lines[1:]]
        with open(manifest, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        framed = Corpus.read(tokens_dir, key_frame=True)
        for piece in framed.split("train")[:3]:
            pitches = framed.vocab.pitch_of[piece.tokens]
            np.testing.assert_array_equal(piece_onsets(piece, True) // PITCH_STEP,
                                          pitches[pitches >= 0])

    def test_vocabulary_writes_back_the_codecs_file_unchanged(self) -> None:
        """A synthetic corpus carries the codec's vocab.tsv byte for byte, signature and all."""
        path = os.path.join(self.fresh("vocab"), "vocab.tsv")
        self.vocab.write(path)
        again = Vocabulary.read(path)
        self.assertEqual((again.names, again.signature), (self.vocab.names, self.vocab.signature))
        with open(path, encoding="ascii") as f:
            written = f.read()
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run([codec.program("tokenize"), "--vocab", os.path.join(scratch, "v.tsv")],
                           check=True)
            with open(os.path.join(scratch, "v.tsv"), encoding="ascii") as f:
                self.assertEqual(f.read(), written, "Vocabulary.write changed the codec's file")

    def test_own_catalog_lists_every_midi_file_as_its_own_work(self) -> None:
        folder = self.fresh("own")
        os.makedirs(os.path.join(folder, "midi", "book"))
        for name in ("a.mid", "book/b.MIDI", "notes.txt"):
            open(os.path.join(folder, "midi", name), "wb").close()
        catalog = os.path.join(folder, "catalog.tsv")
        self.assertEqual(write_catalog(os.path.join(folder, "midi"), "romantic", catalog), 2)
        lines = open(catalog, encoding="utf-8").read().splitlines()
        self.assertEqual(lines, ["source\tcomposer\tfile\twork",
                                 "own\tromantic\ta.mid\town:a",
                                 "own\tromantic\tbook/b.MIDI\town:book/b"])


if __name__ == "__main__":
    unittest.main()
