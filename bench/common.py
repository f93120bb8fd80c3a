"""What the benchmarks share: their command line and their throwaway database."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Where the schools of the import and export benchmarks are: (city, province, region,
#: postal code).
CITIES = [
    ("Roma", "RM", "Lazio", "00184"),
    ("Milano", "MI", "Lombardia", "20121"),
    ("Città di Castello", "PG", "Umbria", "06012"),
    ("Napoli", "NA", "Campania", "80133"),
    ("Torino", "TO", "Piemonte", "10121"),
]


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


@contextmanager
def throwaway_database(name: str, *, sqlite_file: bool = False) -> Iterator[str]:
    """A database of the benchmark's own, created with the project's migrations as the
    test runner does and dropped at the end; yields the engine's vendor.

    On PostgreSQL (DATABASE_URL) it is `bench_<database>_<name>`, so that benchmarks and
    test runs never share one; on SQLite it lives in memory, or with `sqlite_file` in a
    file of a temporary folder (for code that opens connections of its own).
    """
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test["NAME"] = f"bench_{connection.settings_dict['NAME']}_{name}"
    elif sqlite_file:
        test["NAME"] = str(Path(tempfile.mkdtemp(prefix="kindnet-bench-")) / "bench.sqlite3")
    original = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection.vendor
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
