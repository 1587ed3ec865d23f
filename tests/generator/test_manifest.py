import shutil
import subprocess

import pytest

from quickscale.generator.manifest import template_revision
from quickscale.generator.templates import TEMPLATE_DIR


def git(cwd, *args):
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=T", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE_DIR, repo / "quickscale" / "project_template")
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "template")
    return repo


def test_a_template_in_a_checkout_records_its_commit(checkout):
    revision = template_revision(checkout / "quickscale" / "project_template")
    assert revision.commit == git(checkout, "rev-parse", "HEAD")
    assert revision.dirty is False


def test_uncommitted_template_changes_are_flagged(checkout):
    template = checkout / "quickscale" / "project_template"
    (template / "templates" / "base.html").write_text("changed")
    assert template_revision(template).dirty is True


def test_changes_outside_the_template_do_not_make_it_dirty(checkout):
    (checkout / "README.md").write_text("elsewhere")
    assert template_revision(checkout / "quickscale" / "project_template").dirty is False


def test_a_template_outside_any_checkout_has_no_commit(tmp_path):
    copy = tmp_path / "installed" / "project_template"
    shutil.copytree(TEMPLATE_DIR, copy)
    revision = template_revision(copy)
    assert (revision.commit, revision.dirty) == (None, False)
