"""Everything sync-back refuses: nothing written, a reason given, the right exit code."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from quickscale import cli
from quickscale.exceptions import ExitCode, NoManifestError, SyncBackError
from quickscale.syncback import apply as apply_module
from quickscale.syncback.apply import plan_apply
from quickscale.syncback.plan import Status, plan_build
from quickscale.syncback.run import Options
from quickscale.syncback.validate import plan_validate
from tests.syncback.helpers import PROJECT, edit, git, project_files, terminal_run


def snapshot(template):
    return project_files(template)


def reasons(plan):
    return {f.path: (f.status, f.reason) for f in plan.files}


def test_secrets_databases_media_and_migrations_are_never_synced(template, project):
    (project / ".env").write_text("SECRET_KEY=changed\n")
    (project / "templates/pages/data.sqlite3").write_bytes(b"SQLite format 3\0")
    (project / "static/media").mkdir()
    (project / "templates/migrations").mkdir()
    (project / "templates/migrations/0001_initial.py").write_text("x = 1\n")
    plan = plan_build(project_dir=project, template_dir=template, include_new=True)
    found = reasons(plan)
    assert ".env" not in found  # .env is not a template file at all
    assert found["templates/pages/data.sqlite3"] == (Status.SKIPPED, "a database")
    assert found["templates/migrations/0001_initial.py"][0] == Status.SKIPPED


def test_binary_large_and_symlinked_files_are_skipped_with_the_reason(template, project, tmp_path):
    (project / "static/img/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (project / "static/big.css").write_text("a{}\n" * 300_000)
    outside = tmp_path / "outside.html"
    outside.write_text("<p>secret</p>")
    os.symlink(outside, project / "templates/pages/link.html")
    os.remove(project / "templates/pages/home.html")
    os.symlink(outside, project / "templates/pages/home.html")
    plan = plan_build(project_dir=project, template_dir=template, include_new=True)
    found = reasons(plan)
    assert found["static/img/photo.png"] == (Status.SKIPPED, "a binary file")
    assert found["static/big.css"] == (Status.SKIPPED, "larger than 1024 KiB")
    assert found["templates/pages/link.html"] == (Status.SKIPPED, "a symbolic link")
    assert found["templates/pages/home.html"] == (Status.SKIPPED, "a symbolic link")
    assert plan.actionable == []


def test_new_and_deleted_files_are_offered_only_when_asked_for(template, project):
    (project / "templates/pages/changelog.html").write_text("<h1>Changelog</h1>\n")
    os.remove(project / "templates/components/footer.html")
    plain = reasons(plan_build(project_dir=project, template_dir=template))
    assert plain["templates/pages/changelog.html"][0] == Status.SKIPPED
    assert "--include-new" in plain["templates/pages/changelog.html"][1]
    assert "--include-deleted" in plain["templates/components/footer.html"][1]
    asked = plan_build(
        project_dir=project, template_dir=template, include_new=True, include_deleted=True
    )
    assert {f.path for f in asked.actionable} == {
        "templates/pages/changelog.html",
        "templates/components/footer.html",
    }


def test_a_template_that_does_not_compile_is_not_written(template, project, engine):
    edit(project / "templates/pages/home.html", "{% endblock main %}", "{% endblok main %}")
    before = snapshot(template)
    plan = plan_build(project_dir=project, template_dir=template)
    plan_validate(plan, engine=engine)
    assert plan.files[0].status == Status.NEEDS_REVIEW
    assert "does not compile" in plan.files[0].reason
    plan_apply(plan)
    assert snapshot(template) == before


def test_python_that_does_not_parse_is_not_written(template, project, engine):
    edit(project / f"{PROJECT}/settings.py", "DEBUG = env.bool(", "DEBUG = = env.bool(")
    plan = plan_build(project_dir=project, template_dir=template)
    plan_validate(plan, engine=engine)
    assert plan.files[0].status == Status.NEEDS_REVIEW
    assert "not valid Python" in plan.files[0].reason


def test_an_installed_quickscale_previews_but_refuses_to_apply(project, tmp_path, engine, template):
    installed = tmp_path / "site-packages" / "project_template"
    shutil.copytree(template, installed)
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    plan = plan_build(project_dir=project, template_dir=installed)
    assert [f.status for f in plan.pending] == [Status.APPLY]
    before = snapshot(installed)
    with pytest.raises(SyncBackError) as caught:
        plan_apply(plan)
    assert caught.value.exit_code == ExitCode.SYNC_REFUSED
    assert "pip install -e" in caught.value.hint
    assert snapshot(installed) == before


def test_uncommitted_template_changes_are_not_overwritten_unless_forced(template, project):
    edit(template / "static/css/app.css", ":root {", ":root { /* local */")
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    plan = plan_build(project_dir=project, template_dir=template)
    with pytest.raises(SyncBackError, match=r"uncommitted changes: static/css/app\.css"):
        plan_apply(plan)
    assert "/* local */" in (template / "static/css/app.css").read_text()
    plan_apply(plan, force=True)
    assert "gap: 1rem;" in (template / "static/css/app.css").read_text()


def test_an_apply_that_fails_on_the_third_file_leaves_the_template_as_it_was(
    template, project, monkeypatch
):
    for path in (
        "static/css/app.css",
        "templates/base.html",
        "templates/pages/home.html",
        "templates/404.html",
    ):
        (project / path).write_text((project / path).read_text() + "\n<!-- edited -->\n")
    before = snapshot(template)
    plan = plan_build(project_dir=project, template_dir=template)
    assert len(plan.actionable) == 4
    calls = []
    real_replace = os.replace

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(apply_module.os, "replace", failing_replace)
    with pytest.raises(SyncBackError, match="every file is as it was"):
        plan_apply(plan)
    assert snapshot(template) == before
    assert not list(template.rglob(".*.quickscale-*"))


def test_commit_records_the_change_in_the_checkout(template, project):
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    result = plan_apply(plan_build(project_dir=project, template_dir=template), commit=True)
    repo = template.parents[1]
    assert git(repo, "rev-parse", "HEAD") == result.commit
    assert git(repo, "log", "-1", "--format=%s") == "Sync back from Acme Cloud (acme_cloud)"
    assert git(repo, "status", "--porcelain") == ""


def test_a_project_without_a_manifest_is_told_to_adopt(tmp_path, capsys):
    (tmp_path / "manage.py").write_text("")
    code = cli.main(["sync-back", str(tmp_path)])
    assert code == ExitCode.NO_MANIFEST
    assert "--adopt" in capsys.readouterr().err
    with pytest.raises(NoManifestError):
        plan_build(project_dir=tmp_path)


def test_check_exits_1_only_when_the_project_holds_changes(template, project, engine):
    def check():
        return terminal_run(
            Options(project_dir=project, template_dir=template, mode="check"), engine
        )[0]

    assert check() == ExitCode.OK
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    assert check() == ExitCode.ERROR


def test_json_gives_a_machine_readable_plan(template, project, engine):
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    _, out = terminal_run(Options(project_dir=project, template_dir=template), engine, as_json=True)
    data = json.loads(out)
    assert data["mode"] == "checkout"
    [entry] = data["files"]
    assert entry["file"] == "static/css/app.css" and entry["status"] == "apply"
    assert "+  gap: 1rem;" in entry["diff"]


def test_the_cli_previews_a_real_project_from_the_installed_template(tmp_path):
    project = tmp_path / "shop"
    subprocess.run(
        [sys.executable, "-m", "quickscale", "init", "shop", "--directory", str(project)],
        check=True,
        capture_output=True,
    )
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    result = subprocess.run(
        [sys.executable, "-m", "quickscale", "sync-back", str(project), "--check"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert result.returncode == ExitCode.ERROR, result.stderr
    assert "apply" in result.stdout and "static/css/app.css" in result.stdout
