import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import Context, Engine

from quickscale.generator.manifest import MANIFEST_PATH, file_sha256
from quickscale.generator.templates import TEMPLATE_DIR
from tests.conftest import generate_project
from tests.template.conftest import PROJECT, manage

pytestmark = pytest.mark.slow

TEMPLATE_LEFTOVER = re.compile(r"\{\{|\{%|project_name")


def manifest_of(project: Path) -> dict:
    return json.loads((project / MANIFEST_PATH).read_text())


def test_rendered_files_hold_no_template_syntax_or_placeholder(project):
    rendered = [path for path, entry in manifest_of(project)["files"].items() if entry["rendered"]]
    assert f"{PROJECT}/settings.py" in rendered
    assert "manage.py" in rendered
    for path in rendered:
        text = (project / path).read_text()
        assert not TEMPLATE_LEFTOVER.search(text), f"{path} still holds template syntax"


def test_html_templates_are_copied_byte_for_byte(project):
    for source in (TEMPLATE_DIR / "templates").rglob("*.html"):
        target = project / "templates" / source.relative_to(TEMPLATE_DIR / "templates")
        assert source.read_bytes() == target.read_bytes()


def test_manifest_records_every_generated_file_with_its_source_and_hash(project):
    manifest = manifest_of(project)
    on_disk = {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if (
            path.is_file()
            and not path.relative_to(project).as_posix().startswith((".quickscale/", ".env"))
        )
        or path.name == ".env.example"
    }
    assert set(manifest["files"]) == on_disk
    for path, entry in manifest["files"].items():
        assert entry["sha256"] == file_sha256(project / path)
        assert (TEMPLATE_DIR / entry["source"]).is_file()
    assert manifest["context"]["project_name"] == PROJECT
    secret = next(
        line.split("=", 1)[1]
        for line in (project / ".env").read_text().splitlines()
        if line.startswith("SECRET_KEY=")
    )
    assert secret not in (project / MANIFEST_PATH).read_text()


def test_rendering_with_the_manifest_context_reproduces_every_file(project):
    manifest = manifest_of(project)
    context = manifest["context"]
    for path, entry in manifest["files"].items():
        source = TEMPLATE_DIR / entry["source"]
        if entry["rendered"]:
            text = (
                Engine().from_string(source.read_text()).render(Context(context, autoescape=False))
            )
            assert text.encode() == (project / path).read_bytes(), path
        else:
            assert source.read_bytes() == (project / path).read_bytes(), path


def files_of(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file()
    }


def test_the_same_context_gives_byte_identical_projects_apart_from_env(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = files_of(generate_project(tmp_path / "a", PROJECT))
    second = files_of(generate_project(tmp_path / "b", PROJECT))
    assert first.keys() == second.keys()
    assert [path for path in first if first[path] != second[path]] == [".env"]


def test_generated_python_is_already_formatted_and_lint_clean(project):
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable))
    assert ruff, "ruff is installed with QuickScale's dev extras"
    formatted = subprocess.run(
        [ruff, "format", "--check", "--no-cache", "--isolated", "--line-length", "100", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "E,F,W,I",
            "--line-length",
            "100",
            ".",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


BILLING_OFF = "quickscale_billing.W001"
TEST_STRIPE = {"STRIPE_SECRET_KEY": "sk_test_" + "0" * 24}


def test_the_generated_project_passes_checks_migrations_and_its_own_tests(project):
    # Billing off is a supported state: one warning says so, and nothing else is wrong.
    unconfigured = manage(project, "check")
    output = unconfigured.stdout + unconfigured.stderr
    assert output.count(f"({BILLING_OFF})") == 1
    assert "identified 1 issue" in output
    manage(project, "check", "--fail-level", "WARNING", env=TEST_STRIPE)
    manage(project, "makemigrations", "--check", "--dry-run")
    result = manage(project, "test", "--noinput")
    assert re.search(r"Ran [1-9]\d* tests?", result.stderr), result.stderr


def test_production_settings_pass_the_deploy_check(project):
    production = {
        "DEBUG": "False",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "app.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "smtp+tls://user:password@smtp.example.com:587",
        "DEFAULT_FROM_EMAIL": "hello@acme.example",
        "TRUSTED_PROXY_COUNT": "1",
        "STRIPE_SECRET_KEY": "sk_live_" + "0" * 24,
        "STRIPE_PUBLIC_KEY": "pk_live_" + "0" * 24,
    }
    manage(project, "check", "--deploy", "--fail-level", "WARNING", env=production)


def test_production_settings_refuse_to_start_without_a_secret_key(project):
    result = manage(project, "check", env={"DEBUG": "False", "SECRET_KEY": ""}, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_deploy_check_warns_about_a_process_local_cache_and_console_email(project):
    production = {
        "DEBUG": "False",
        "SECRET_KEY": "production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
        "ALLOWED_HOSTS": "app.example.com",
    }
    result = manage(project, "check", "--deploy", env=production, check=False)
    assert "quickscale.W001" in result.stderr
    assert "quickscale.W002" in result.stderr
    # Behind the https proxy the settings assume, with no trusted proxy count.
    assert "quickscale.W010" in result.stderr


def test_django_admin_startproject_with_the_template_gives_a_working_project(tmp_path):
    django_admin = Path(sys.executable).with_name("django-admin")
    subprocess.run(
        [str(django_admin), "startproject", f"--template={TEMPLATE_DIR}", "mysite"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
    )
    project = tmp_path / "mysite"
    assert not (project / MANIFEST_PATH).exists()
    settings = (project / "mysite" / "settings.py").read_text()
    assert not TEMPLATE_LEFTOVER.search(settings)
    shutil.copy(project / ".env.example", project / ".env")
    manage(project, "check", "--fail-level", "WARNING", env=TEST_STRIPE)
    manage(project, "test", "--noinput")


def test_no_formatter_runs_over_the_output_even_when_black_is_installed(tmp_path, project):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    black = fake_bin / "black"
    black.write_text('#!/bin/sh\nfor f in "$@"; do echo "# reformatted" >> "$f"; done\n')
    black.chmod(0o755)
    subprocess.run(
        [sys.executable, "-m", "quickscale", "init", PROJECT, "--directory", str(tmp_path / "p")],
        check=True,
        capture_output=True,
        env={**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"},
    )
    settings_file = Path(PROJECT) / "settings.py"
    assert (tmp_path / "p" / settings_file).read_bytes() == (project / settings_file).read_bytes()


def test_the_project_s_own_tests_pass_on_a_clean_clone_without_env(project, tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(project, clone, ignore=shutil.ignore_patterns(".env", "db.sqlite3"))
    result = manage(clone, "test", "--noinput", env={"DEBUG": "", "SECRET_KEY": ""})
    assert re.search(r"Ran [1-9]\d* tests?", result.stderr), result.stderr


def test_a_folder_name_with_url_characters_keeps_the_database_inside_the_project(tmp_path):
    parent = tmp_path / "My SaaS #1?x=%41"
    parent.mkdir()
    project = generate_project(parent, PROJECT)
    manage(project, "migrate", "--noinput", env={"DATABASE_URL": ""})
    assert (project / "db.sqlite3").is_file()
    assert [p.name for p in parent.iterdir()] == [PROJECT]
