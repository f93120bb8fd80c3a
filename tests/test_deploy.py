"""The deployment's files do what docs/deploy.md says: every periodic line of the crontab
runs a command that exists, through a wrapper that loads the environment and locks."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
CRON = ROOT / "deploy" / "kindnet.cron"
PERIODIC = ROOT / "deploy" / "periodic.sh"
#: A secret as a password manager makes one: the shell must not expand or split it.
SECRET = "s3cr$HOME&x;(y)`id`z"


def _cron_jobs() -> list[list[str]]:
    """The command words of each job line (five time fields and the user skipped)."""
    jobs = []
    for line in CRON.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]:
            jobs.append(shlex.split(line)[6:])
    return jobs


def test_every_periodic_job_runs_an_existing_command_through_the_wrapper():
    jobs = _cron_jobs()
    commands = {job[2] for job in jobs}
    assert {"geocode_sweep", "renewals", "apply_retention", "clearsessions"} <= commands
    locks = [job[1] for job in jobs]
    assert len(set(locks)) == len(locks), "each job needs a lock of its own"
    for job in jobs:
        assert job[0] == "/srv/kindnet/deploy/periodic.sh", job
        assert job[2] in get_commands(), f"{job[2]} is not a manage.py command"


@pytest.fixture
def installed(tmp_path) -> dict[str, str]:
    """The wrapper's environment as on a server: a home with .venv, an env file, a lock dir."""
    home = tmp_path / "srv"
    home.mkdir()
    (home / ".venv").symlink_to(sys.prefix)  # the virtual environment running the suite
    (home / "manage.py").symlink_to(ROOT / "manage.py")
    env_file = tmp_path / "env"
    env_file.write_text(
        f"# as deploy/env.example\nDATABASE_URL=sqlite:///{tmp_path / 'db.sqlite3'}\n"
        f"PYTHONPATH={ROOT}\n"
        f'SECRET_KEY="{SECRET}"\n'
    )
    (tmp_path / "lock").mkdir()
    return {
        "PATH": os.environ["PATH"],
        "KINDNET_HOME": str(home),
        "KINDNET_ENV_FILE": str(env_file),
        "KINDNET_LOCK_DIR": str(tmp_path / "lock"),
    }


def test_the_wrapper_loads_the_environment_and_runs_the_command(installed):
    run = subprocess.run(
        [str(PERIODIC), "check", "diffsettings", "--output", "unified"],
        env=installed,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert str(Path(installed["KINDNET_ENV_FILE"]).parent / "db.sqlite3") in run.stdout
    assert f"SECRET_KEY = {SECRET!r}" in run.stdout  # as systemd's EnvironmentFile= reads it


def test_a_run_is_skipped_while_the_previous_one_holds_the_lock(installed):
    lock = Path(installed["KINDNET_LOCK_DIR"]) / "kindnet-busy.lock"
    with subprocess.Popen(["flock", str(lock), "sleep", "30"]) as holder:
        try:
            while subprocess.run(["flock", "-n", str(lock), "true"]).returncode == 0:
                time.sleep(0.05)  # until the holder has the lock
            run = subprocess.run(
                [str(PERIODIC), "busy", "check"], env=installed, capture_output=True, timeout=30
            )
        finally:
            holder.kill()
    assert run.returncode == 1  # flock -n: busy, nothing ran


def test_the_wrapper_explains_its_usage():
    run = subprocess.run([str(PERIODIC)], capture_output=True, text=True, timeout=10)
    assert run.returncode == 64 and "usage:" in run.stderr
