"""A database of the last release before the apps were split migrates forward, every row kept.

1. checks out BASE (the commit before "One home per concern") in a temporary worktree;
2. with that code: migrate, load the gazetteer, the official municipalities and the demo
   network, geocode, import a schools file, store a join request with its PDF;
3. counts the rows of every table;
4. with this checkout's code: migrate the same database, count again.

Every table of step 3 must exist after step 4 with at least as many rows (the moved
models keep their tables; new models add their permissions and content types); content
types of moved models follow their app.
Usage: .ci/migrate_from_main.py [--database sqlite|postgres]   (exit 1 on any loss)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "e7995d3"  # main before the split into kindnet/geocoding/exchange/publicmap
PYTHON = sys.executable
POSTGRES = "postgres://postgres@127.0.0.1:5432/kindnet_migrate_check"

COUNT_ROWS = """
import json
from django.db import connection
tables = sorted(connection.introspection.table_names())
with connection.cursor() as cursor:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    cursor.execute("SELECT app_label, model FROM django_content_type")
    content_types = sorted(f"{app}.{model}" for app, model in cursor.fetchall())
print("COUNTS=" + json.dumps({"rows": counts, "content_types": content_types}))
"""

OLD_ACTIVITY = """
import datetime
from django.core.files.uploadedfile import SimpleUploadedFile
from io import BytesIO
from pypdf import PdfWriter
from municipalities.services import join_request_submit
writer = PdfWriter(); writer.add_blank_page(width=200, height=200)
buffer = BytesIO(); writer.write(buffer)
join_request_submit(
    country="IT", municipality_name="Bergamo",
    submitter_name="Maria Rossi", submitter_role="Councillor",
    submitter_email="maria@bergamo.example", submitter_phone="+39 035 000000",
    mayor_name="Anna Bianchi", resolution_number="12/2026",
    resolution_date=datetime.date(2026, 3, 1),
    resolution_file=SimpleUploadedFile("delibera.pdf", buffer.getvalue(), "application/pdf"),
    privacy_consent=True,
)
print("join request stored")
"""

SCHOOLS_CSV = (
    "school_code,name,city,province,country\n"
    "BGIC80000X,Istituto Comprensivo di Castro,Castro,BG,IT\n"
    "MIIC81000Y,Scuola Primaria Manzoni,Milano,MI,IT\n"
)


def run(code_dir: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, *args], cwd=code_dir, env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed in {code_dir}: {' '.join(args)}")
    return result.stdout


def counts(code_dir: Path, env: dict[str, str]) -> dict:
    out = run(code_dir, env, "manage.py", "shell", "-c", COUNT_ROWS)
    line = next(line for line in out.splitlines() if line.startswith("COUNTS="))
    return json.loads(line.removeprefix("COUNTS="))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kindnet-migrate-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), BASE],
            check=True,
        )
        try:
            if options.database == "postgres":
                database_url = POSTGRES
                admin = POSTGRES.rsplit("/", 1)[0] + "/postgres"
                for statement in ("DROP DATABASE IF EXISTS", "CREATE DATABASE"):
                    subprocess.run(
                        ["psql", admin, "-q", "-c", f"{statement} kindnet_migrate_check"],
                        check=True,
                    )
            else:
                database_url = f"sqlite:///{tmp}/db.sqlite3"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "PRIVATE_ROOT": f"{tmp}/private",
                "MEDIA_ROOT": f"{tmp}/media",
                "TASKS_BACKEND": "immediate",
                "EMAIL_URL": "consolemail://",
                "SECRET_KEY": "migrate-check-" + "x" * 50,
            }
            old_env = {**env, "DJANGO_SETTINGS_MODULE": "crm.settings", "PYTHONPATH": str(old)}
            (Path(tmp) / "schools.csv").write_text(SCHOOLS_CSV)
            for step in (
                ["manage.py", "migrate", "--noinput"],
                ["manage.py", "load_gazetteer", "--if-empty"],
                ["manage.py", "load_municipalities", "--if-empty"],
                ["manage.py", "load_demo"],
                ["manage.py", "geocode", "--pending", "--no-progress"],
                ["manage.py", "import", "schools", f"{tmp}/schools.csv", "--no-input"],
                ["manage.py", "shell", "-c", OLD_ACTIVITY],
            ):
                run(old, old_env, *step)
            before = counts(old, old_env)

            new_env = {**env, "DJANGO_SETTINGS_MODULE": "kindnet.settings"}
            run(ROOT, new_env, "manage.py", "migrate", "--noinput")
            after = counts(ROOT, new_env)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False
            )

    lost = {
        table: (rows, after["rows"].get(table))
        for table, rows in before["rows"].items()
        if table != "django_migrations" and (after["rows"].get(table) or 0) < rows
    }
    grown = {
        table: (rows, after["rows"][table])
        for table, rows in before["rows"].items()
        if table != "django_migrations" and after["rows"].get(table, 0) > rows
    }
    new_types = [ct for ct in after["content_types"] if ct not in before["content_types"]]
    total = sum(rows for table, rows in before["rows"].items() if table != "django_migrations")
    print(
        f"{options.database}: {len(before['rows'])} tables and {total} rows before; "
        f"{len(after['rows'])} tables after; content types new or moved: {', '.join(new_types)}"
    )
    for table, (old_rows, new_rows) in sorted(grown.items()):
        print(f"  grew (new models' permissions and types): {table} {old_rows} -> {new_rows}")
    for table, (old_rows, new_rows) in sorted(lost.items()):
        print(f"  LOST ROWS: {table}: {old_rows} rows before, {new_rows} after")
    print(f"RESULT tables={len(before['rows'])} rows={total} tables_with_lost_rows={len(lost)}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
