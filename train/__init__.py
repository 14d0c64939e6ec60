"""Pianola's training pipeline: token files from `pianola-tokenize` in, a `.pnm` weights file
out. Run it as `/usr/bin/python3 -m train ...` (see docs/training.md)."""
