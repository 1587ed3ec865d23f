"""The management command and --adopt over the one engine."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from quickscale.exceptions import ExitCode
from quickscale.generator.manifest import MANIFEST_PATH
from quickscale.syncback.plan import Status, plan_build
from quickscale.syncback.run import Options
from tests.syncback.helpers import commit_all, edit, terminal_run


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
        return terminal_run(Options(project_dir=project, template_dir=template, mode=mode), engine)

    code, _ = run("adopt")
    assert code == ExitCode.OK and (project / MANIFEST_PATH).is_file()
    plan = plan_build(project_dir=project, template_dir=template)
    assert [(f.path, f.status) for f in plan.pending] == [("static/css/app.css", Status.APPLY)]
    code, _ = run("apply")
    assert code == ExitCode.OK
    assert "gap: 1rem;" in (template / "static/css/app.css").read_text()
    with pytest.raises(Exception, match="already has a manifest"):
        run("adopt")


def _cli(project, env):
    return subprocess.run(
        [sys.executable, "-m", "quickscale", "sync-back", str(project), "--json"],
        capture_output=True,
        text=True,
        env=env,
    )


def _command(project, env):
    return subprocess.run(
        [sys.executable, "manage.py", "quickscale_syncback", "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )


def _seen(data):
    return (
        data["template"],
        [(f["file"], f["status"]) for f in data["files"]],
        data["pending"],
    )


@pytest.fixture
def diverged(project, template):
    """The project and the checkout's template both changed since generation."""
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    edit(project / "templates/pages/home.html", "Everything an API product needs", "All it needs")
    edit(
        template / "templates/pages/home.html", "{% block title %}Welcome", "{% block title %}Home"
    )
    commit_all(template, "template moved on")
    return project


def test_the_cli_the_command_and_the_panel_agree_on_template_plan_and_pending(
    diverged, template, monkeypatch, client, django_user_model
):
    # The checkout's template is not the installed one: a face that ignores the variable
    # compares the project with the wrong template.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["QUICKSCALE_TEMPLATE_DIR"] = str(template)
    cli = _cli(diverged, env)
    assert cli.returncode == 0, cli.stderr
    command = _command(diverged, env)
    assert command.returncode == 0, command.stderr

    monkeypatch.setenv("QUICKSCALE_TEMPLATE_DIR", str(template))
    client.force_login(django_user_model.objects.create_superuser(email="root@example.com"))
    with override_settings(BASE_DIR=diverged, DEBUG=True):
        response = client.get(reverse("quickscale_admin_ui:sync_back"))
    plan = response.context["result"].plan
    panel = (
        str(plan.template_dir),
        [(f.path, f.status.value) for f in plan.files],
        [f.path for f in response.context["result"].pending],
    )

    expected = (
        str(template),
        [("static/css/app.css", "apply"), ("templates/pages/home.html", "merged")],
        ["static/css/app.css", "templates/pages/home.html"],
    )
    assert _seen(json.loads(cli.stdout)) == expected
    assert _seen(json.loads(command.stdout)) == expected
    assert panel == expected


def test_the_project_s_env_file_points_the_cli_and_the_command_at_the_template(diverged, template):
    with (diverged / ".env").open("a") as env_file:
        env_file.write(f"QUICKSCALE_TEMPLATE_DIR={template}\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "QUICKSCALE_TEMPLATE_DIR"}
    }
    seen = []
    for face in (_cli, _command):
        done = face(diverged, env)
        assert done.returncode == 0, done.stderr
        seen.append(_seen(json.loads(done.stdout))[0])
    assert seen == [str(template), str(template)]


def test_the_django_setting_wins_over_the_environment(monkeypatch, template):
    from quickscale.generator.templates import TEMPLATE_DIR
    from quickscale.syncback.location import template_dir_resolve

    monkeypatch.setenv("QUICKSCALE_TEMPLATE_DIR", str(template))
    assert template_dir_resolve() == template
    with override_settings(QUICKSCALE_TEMPLATE_DIR=str(TEMPLATE_DIR)):
        assert template_dir_resolve() == TEMPLATE_DIR
    monkeypatch.delenv("QUICKSCALE_TEMPLATE_DIR")
    assert template_dir_resolve() == TEMPLATE_DIR


def test_a_template_dir_that_is_no_template_is_refused_by_every_face(
    installed_project, tmp_path, monkeypatch, client, django_user_model
):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["QUICKSCALE_TEMPLATE_DIR"] = str(tmp_path / "nowhere")
    for face in (_cli, _command):
        done = face(installed_project, env)
        assert done.returncode == ExitCode.SYNC_REFUSED, done.stdout
        assert "not a QuickScale project template" in done.stderr
    monkeypatch.setenv("QUICKSCALE_TEMPLATE_DIR", str(tmp_path / "nowhere"))
    client.force_login(django_user_model.objects.create_superuser(email="root@example.com"))
    with override_settings(BASE_DIR=installed_project, DEBUG=True):
        response = client.get(reverse("quickscale_admin_ui:sync_back"))
    assert response.status_code == 409
    assert "not a QuickScale project template" in response.content.decode()
