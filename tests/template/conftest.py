import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import generate_project

PROJECT = "acme_cloud"


def manage(project: Path, *args: str, env: dict[str, str] | None = None, check: bool = True):
    """Run the generated project's manage.py in its own process, as its developer would."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "QUICKSCALE_TEST"))
    }
    environment.update(env or {})
    environment["DATABASE_URL"] = _own_database(environment.get("DATABASE_URL", ""))
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def _own_database(url: str) -> str:
    """Each run gets its own PostgreSQL database name, so that two projects running their
    tests at once never create and drop the same `test_` database."""
    if not url.startswith(("postgres://", "postgresql://")):
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/qs_generated_{uuid.uuid4().hex[:12]}"))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return generate_project(tmp_path_factory.mktemp("generated"), PROJECT)
