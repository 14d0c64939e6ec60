"""Evaluation (in progress)."""
import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--model", required=True)


def main(args: argparse.Namespace) -> int:
    raise SystemExit("not yet")
