"""What the benchmarks share: their command line."""

from __future__ import annotations

import argparse


def size_from_command_line(
    doc: str, option: str, *, default: int, quick: int, quick_help: str
) -> int:
    """How many rows or members to run with: `--<option> N` (`default` when not given), or
    `quick` with `--quick`, the smoke run of CI. `doc`'s first line describes the script."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument(f"--{option}", type=int, default=default)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args()
    return quick if args.quick else getattr(args, option)
