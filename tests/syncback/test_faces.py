"""The management command and --adopt over the one engine."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from quickscale.exceptions import ExitCode
from quickscale.generator.manifest import MANIFEST_PATH
from quickscale.messages import Console
from quickscale.syncback.plan import Status, plan_build
from quickscale.syncback.run import Options, syncback_run
from tests.syncback.helpers import edit


@pytest.fixture
def installed_project(tmp_path):
    """A project generated from the package's own template (so: preview only here)."""
    project = tmp_path / "shop"
    subprocess.run(
        [sys.executable, "-m", "quickscale", "init", "shop", "--directory", str(project)],
        check=True,
        capture_output=True,
    )
    return project


def test_the_management_command_previews_the_project_it_runs_in(installed_project):
    edit(installed_project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    out = io.StringIO()
    with override_settings(BASE_DIR=installed_project):
        call_command("quickscale_syncback", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [(f["file"], f["status"]) for f in data["files"]] == [("static/css/app.css", "apply")]


def test_the_management_command_check_exits_1_on_changes(installed_project):
    edit(installed_project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    with override_settings(BASE_DIR=installed_project), pytest.raises(SystemExit) as caught:
        call_command("quickscale_syncback", "--check", stdout=io.StringIO())
    assert caught.value.code == ExitCode.ERROR


def test_the_management_command_reports_refusals_as_command_errors(tmp_path):
    with override_settings(BASE_DIR=tmp_path), pytest.raises(CommandError) as caught:
        call_command("quickscale_syncback", stdout=io.StringIO())
    assert caught.value.returncode == ExitCode.NO_MANIFEST
    assert "--adopt" in str(caught.value)


def test_adopt_gives_a_startproject_project_a_manifest(template, tmp_path, engine):
    subprocess.run(
        [
            str(Path(sys.executable).with_name("django-admin")),
            "startproject",
            f"--template={template}",
            "mysite",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    project = tmp_path / "mysite"
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")

    def run(mode):
        out = io.StringIO()
        code = syncback_run(
            Options(project_dir=project, template_dir=template, mode=mode),
            console=Console(out=out, err=out),
            engine=lambda plan: engine,
        )
        return code, out.getvalue()

    code, _ = run("adopt")
    assert code == ExitCode.OK and (project / MANIFEST_PATH).is_file()
    plan = plan_build(project_dir=project, template_dir=template)
    assert [(f.path, f.status) for f in plan.pending] == [("static/css/app.css", Status.APPLY)]
    code, _ = run("apply")
    assert code == ExitCode.OK
    assert "gap: 1rem;" in (template / "static/css/app.css").read_text()
    with pytest.raises(Exception, match="already has a manifest"):
        run("adopt")
