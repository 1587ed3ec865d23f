"""Edit a generated project, sync back, generate again: the new project is the edited one."""

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickscale.syncback.plan import Status, plan_build
from quickscale.syncback.run import Options
from tests.syncback.helpers import (
    PROJECT,
    edit,
    generate,
    make_checkout,
    project_files,
    terminal_run,
)


def sync(project, template, engine, **options):
    return terminal_run(
        Options(project_dir=project, template_dir=template, mode="apply", **options), engine
    )[0]


def test_edits_to_html_css_and_rendered_python_come_back_exactly(
    template, project, engine, tmp_path
):
    edit(
        project / "templates/pages/home.html", "Everything an API product needs", "All an API needs"
    )
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 0.75rem;\n  margin: 0;")
    edit(
        project / f"{PROJECT}/settings.py",
        f'ROOT_URLCONF = "{PROJECT}.urls"',
        f'ROOT_URLCONF = "{PROJECT}.urls"  # {PROJECT} routes',
    )
    edit(
        project / f"{PROJECT}/urls.py",
        '"""URLs of Acme Cloud."""',
        '"""Every URL of Acme Cloud."""',
    )
    (project / "templates/pages/about.html").write_text('{% extends "base.html" %}\n')
    assert sync(project, template, engine, include_new=True) == 0

    settings_template = (template / "project_name/settings.py-tpl").read_text()
    assert (
        'ROOT_URLCONF = "{{ project_name }}.urls"  # {{ project_name }} routes' in settings_template
    )
    assert (
        '"""Every URL of {{ project_title|default:project_name }}."""'
        in (template / "project_name/urls.py-tpl").read_text()
    )
    again = generate(template, tmp_path / "again")
    assert project_files(again) == project_files(project)
    assert plan_build(project_dir=project, template_dir=template).pending == []


def test_a_new_project_with_another_name_gets_its_own_name(template, project, engine, tmp_path):
    edit(
        project / f"{PROJECT}/settings.py",
        f'ROOT_URLCONF = "{PROJECT}.urls"',
        f'ROOT_URLCONF = "{PROJECT}.urls"  # {PROJECT}',
    )
    sync(project, template, engine)
    other = generate(template, tmp_path / "other", "globex")
    assert 'ROOT_URLCONF = "globex.urls"  # globex' in (other / "globex/settings.py").read_text()


EDITABLE = [
    "templates/pages/home.html",
    "templates/base.html",
    "static/css/app.css",
    f"{PROJECT}/settings.py",
    f"{PROJECT}/urls.py",
]
WORDS = st.text(alphabet="abcdefghij klmnop-_.,:;()", min_size=1, max_size=30)


@st.composite
def edits(draw):
    chosen = []
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(EDITABLE))
        words = draw(WORDS)
        if draw(st.booleans()):
            words = f"{words} {PROJECT}"
        chosen.append(
            (
                path,
                draw(st.sampled_from(["insert", "replace", "delete"])),
                draw(st.integers(0, 10_000)),
                words,
            )
        )
    return chosen


def apply_edit(project: Path, path: str, operation: str, position: int, words: str) -> None:
    file = project / path
    lines = file.read_text().splitlines(keepends=True)
    python = path.endswith(".py")
    if operation == "insert" or python:
        # Python files only gain comment lines: anything else could stop them parsing.
        new = (
            f"# {words}\n"
            if python
            else f"<!-- {words} -->\n"
            if path.endswith(".html")
            else f"/* {words} */\n"
        )
        lines.insert(position % (len(lines) + 1), new)
    else:
        plain = [
            i
            for i, line in enumerate(lines)
            if "{" not in line and "}" not in line and "%" not in line
        ]
        if not plain:
            return
        index = plain[position % len(plain)]
        if operation == "replace":
            lines[index] = f"<p>{words}</p>\n" if path.endswith(".html") else f"/* {words} */\n"
        else:
            del lines[index]
    file.write_text("".join(lines))


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=edits())
def test_random_edits_round_trip(engine, changes):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = make_checkout(root)
        project = generate(template, root / "projects")
        for change in changes:
            apply_edit(project, *change)
        plan = plan_build(project_dir=project, template_dir=template)
        assert all(f.status in (Status.APPLY,) for f in plan.pending), [
            (f.path, f.status, f.reason) for f in plan.pending
        ]
        assert sync(project, template, engine) == 0
        again = generate(template, root / "again")
        assert project_files(again) == project_files(project)
        shutil.rmtree(root / "again")
