"""`quickscale generate-service`: the scaffold works as generated, and bad input writes nothing."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from quickscale import cli
from quickscale.exceptions import ExitCode
from tests.conftest import generate_project
from tests.template.conftest import manage

pytestmark = pytest.mark.slow

# A long package name, so that the longest service name makes an import too long for one line.
PACKAGE = "acme_cloud_platform_for_really_big_customers"
LONGEST = "summarize_support_ticket_threads"  # 32 characters, the most a name may have


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def generate_service(name, cwd):
    return subprocess.run(
        [sys.executable, "-m", "quickscale", "generate-service", name],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return generate_project(tmp_path_factory.mktemp("services"), PACKAGE)


@pytest.fixture(scope="module")
def scaffolded(project) -> Path:
    """The project with three services generated the way a developer would."""
    for name, cwd in (
        ("word_count", project),
        (LONGEST, project / PACKAGE),  # from a folder inside the project
        ("type_error", project),  # a class name that would hide a built-in
    ):
        result = generate_service(name, cwd)
        assert result.returncode == 0, result.stdout + result.stderr
    return project


def test_the_scaffolded_services_and_their_tests_pass_in_the_project(scaffolded):
    modules = [f"tests.test_service_{name}" for name in ("word_count", LONGEST, "type_error")]
    result = manage(scaffolded, "test", "--noinput", *modules)
    assert re.search(r"Ran 9 tests", result.stderr), result.stderr
    assert "OK" in result.stderr


def test_the_generated_service_is_offered_by_the_api(scaffolded):
    result = manage(
        scaffolded,
        "shell",
        "-c",
        "import json; from quickscale.apps.api.openapi import openapi_document; "
        "print(json.dumps(sorted(openapi_document('http://x')['paths'])))",
    )
    paths = json.loads(result.stdout.strip().splitlines()[-1])
    assert "/api/v1/services/word_count/run" in paths
    assert f"/api/v1/services/{LONGEST}/run" in paths
    assert "/api/v1/services/type_error/run" in paths


def test_the_scaffold_is_formatted_and_lint_clean(scaffolded):
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable))
    assert ruff
    common = ["--no-cache", "--isolated", "--line-length", "100"]
    paths = [
        f"{PACKAGE}/ai_services",
        *(p.relative_to(scaffolded).as_posix() for p in (scaffolded / "tests").glob("test_s*")),
    ]
    formatted = subprocess.run(
        [ruff, "format", "--check", *common, *paths],
        cwd=scaffolded,
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = subprocess.run(
        [ruff, "check", "--select", "E,F,W,I", *common, *paths],
        cwd=scaffolded,
        capture_output=True,
        text=True,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_output_names_the_files_and_the_next_steps(project):
    result = generate_service("line_count", project / PACKAGE)
    assert result.returncode == 0, result.stderr
    assert f"{PACKAGE}/ai_services/line_count.py" in result.stdout
    assert "tests/test_service_line_count.py" in result.stdout
    assert f"cd {project}" in result.stdout
    assert "python manage.py test tests.test_service_line_count" in result.stdout


def test_a_class_that_would_hide_a_name_gets_a_suffix(scaffolded):
    module = (scaffolded / PACKAGE / "ai_services" / "type_error.py").read_text()
    assert "class TypeErrorService(BaseService):" in module


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("WordCount", "cannot name a service"),
        ("word-count", "cannot name a service"),
        ("9lives", "cannot name a service"),
        ("_private", "cannot name a service"),
        ("a" * 33, "cannot name a service"),
        ("class", "Python keyword"),
        ("sentiment", "already ships a service named 'sentiment'"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(project, capsys, monkeypatch, name, reason):
    before = files_in(project)
    monkeypatch.chdir(project)
    code, _, err = run(["generate-service", name], capsys)
    assert code == ExitCode.INVALID_NAME
    assert reason in err and "→" in err
    assert files_in(project) == before


def test_an_existing_module_or_test_is_never_overwritten(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    module = project / PACKAGE / "ai_services" / "mine.py"
    module.write_text("# my own work\n")
    before = files_in(project)
    code, _, err = run(["generate-service", "mine"], capsys)
    assert code == ExitCode.TARGET_EXISTS and "already exists" in err
    assert files_in(project) == before

    (project / "tests" / "test_service_theirs.py").write_text("# a test of theirs\n")
    before = files_in(project)
    code, _, _ = run(["generate-service", "theirs"], capsys)
    assert code == ExitCode.TARGET_EXISTS
    assert files_in(project) == before  # the module was not written either


def test_outside_a_project_it_says_where_to_run_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["generate-service", "word_count"], capsys)
    assert code == ExitCode.ERROR
    assert "is not inside a QuickScale project" in err and "manage.py" in err
    assert list(tmp_path.iterdir()) == []


def test_a_project_without_a_services_package_is_told_how_to_add_one(tmp_path, capsys, monkeypatch):
    (tmp_path / "manage.py").write_text("")
    (tmp_path / ".quickscale").mkdir()
    (tmp_path / ".quickscale" / "manifest.json").write_text(
        json.dumps({"context": {"project_name": "older"}})
    )
    (tmp_path / "older").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    before = files_in(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["generate-service", "word_count"], capsys)
    assert code == ExitCode.ERROR
    assert "no older/ai_services package" in err and "QUICKSCALE_SERVICE_MODULES" in err
    assert files_in(tmp_path) == before


def test_a_write_failure_half_way_leaves_nothing_behind(project, capsys, monkeypatch):
    from quickscale.generator import service

    original = service._write_new

    def write_then_fail(path, text):
        if path.name.startswith("test_"):
            raise OSError(28, "No space left on device")
        original(path, text)

    monkeypatch.setattr(service, "_write_new", write_then_fail)
    monkeypatch.chdir(project)
    before = files_in(project)
    code, _, err = run(["generate-service", "half_done"], capsys)
    assert code == ExitCode.TARGET_NOT_WRITABLE
    assert "tests/test_service_half_done.py" in err and "No space left on device" in err
    assert files_in(project) == before
