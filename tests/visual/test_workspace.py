import os

import pytest
from django.template import engines

from quickscale.exceptions import WorkspaceError
from quickscale.visual.workspace import Workspace


@pytest.fixture
def project(tmp_path):
    (tmp_path / "templates" / "pages").mkdir(parents=True)
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "templates" / "pages" / "home.html").write_text("<h1>Hello</h1>\n")
    (tmp_path / "static" / "css" / "app.css").write_text("h1 { color: red; }\n")
    (tmp_path / "manage.py").write_text("print('secret')\n")
    return tmp_path


@pytest.fixture
def workspace(project):
    return Workspace(project, engines["django"].engine)


def tree(root):
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".quickscale" not in p.parts
    }


def test_write_keeps_the_previous_version_and_undo_restores_it(workspace, project):
    workspace.write("templates/pages/home.html", "<h1>Bye</h1>\n")
    workspace.write("templates/pages/new.html", "<p>new</p>\n")
    assert (project / "templates/pages/home.html").read_text() == "<h1>Bye</h1>\n"
    assert workspace.undo() == "templates/pages/new.html"
    assert not (project / "templates/pages/new.html").exists()
    assert workspace.undo() == "templates/pages/home.html"
    assert (project / "templates/pages/home.html").read_text() == "<h1>Hello</h1>\n"
    with pytest.raises(WorkspaceError, match="nothing to undo"):
        workspace.undo()


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "../etc/passwd",
        "templates/../manage.py",
        "/etc/passwd",
        "media/x.html",
        "templates/../../x",
    ],
)
def test_paths_outside_templates_and_static_are_refused(workspace, project, path):
    before = tree(project)
    with pytest.raises(WorkspaceError):
        workspace.write(path, "pwned")
    with pytest.raises(WorkspaceError):
        workspace.read(path)
    assert tree(project) == before


def test_symlinks_are_refused(workspace, project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.html").write_text("outside")
    os.symlink(outside, project / "templates" / "linked")
    os.symlink(project / "manage.py", project / "static" / "manage.css")
    before = tree(project)
    for path in ("templates/linked/x.html", "static/manage.css"):
        with pytest.raises(WorkspaceError, match="symbolic link"):
            workspace.write(path, "pwned")
    assert (outside / "x.html").read_text() == "outside"
    assert tree(project) == before


def test_a_template_that_does_not_compile_is_not_written(workspace, project):
    before = tree(project)
    with pytest.raises(WorkspaceError, match="does not compile"):
        workspace.write("templates/pages/home.html", "{% if %}<h1>broken")
    assert tree(project) == before
    assert not (project / ".quickscale" / "visual-history").exists() or not list(
        (project / ".quickscale" / "visual-history").iterdir()
    )


def test_static_files_are_not_compiled(workspace, project):
    workspace.write("static/css/app.css", "h1 { content: '{% not a tag'; }\n")
    assert "{% not a tag" in (project / "static/css/app.css").read_text()
