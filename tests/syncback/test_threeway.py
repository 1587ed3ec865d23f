"""The template changed since the project was generated: both sides' work survives."""

from quickscale.exceptions import ExitCode
from quickscale.syncback.plan import Status, plan_build
from quickscale.syncback.run import Options
from tests.syncback.helpers import commit_all, edit, terminal_run

HOME = "templates/pages/home.html"
CSS = "static/css/app.css"


def run(project, template, engine, mode="apply"):
    return terminal_run(Options(project_dir=project, template_dir=template, mode=mode), engine)


def test_changes_to_different_parts_of_one_file_are_merged(template, project, engine):
    edit(template / HOME, "Credits, API keys and AI services", "Credits, keys and AI services")
    commit_all(template, "template improvement")
    edit(project / HOME, "Everything an API product needs", "All an API product needs")
    plan = plan_build(project_dir=project, template_dir=template)
    assert [(f.path, f.status) for f in plan.pending] == [(HOME, Status.MERGED)]
    code, _ = run(project, template, engine)
    assert code == ExitCode.OK
    text = (template / HOME).read_text()
    assert "Credits, keys and AI services" in text and "All an API product needs" in text


def test_the_same_lines_changed_on_both_sides_conflict_and_only_that_file_is_kept(
    template, project, engine
):
    edit(template / HOME, "Everything an API product needs", "What the template says now")
    commit_all(template)
    before = (template / HOME).read_bytes()
    edit(project / HOME, "Everything an API product needs", "What the project says")
    edit(project / CSS, "gap: 0.5rem;", "gap: 1rem;")
    code, output = run(project, template, engine)
    assert code == ExitCode.SYNC_INCOMPLETE
    assert "conflict" in output and "need a person" in output
    assert (template / HOME).read_bytes() == before
    assert "gap: 1rem;" in (template / CSS).read_text()


def test_the_conflict_shows_both_versions(template, project, engine):
    edit(template / HOME, "Everything an API product needs", "Template words")
    commit_all(template)
    edit(project / HOME, "Everything an API product needs", "Project words")
    code, output = run(project, template, engine, mode="preview")
    assert code == ExitCode.OK
    assert "<<<<<<< template" in output and "Template words" in output and "Project words" in output


def test_a_change_already_made_in_the_template_is_not_offered_again(template, project, engine):
    edit(project / CSS, "gap: 0.5rem;", "gap: 1rem;")
    assert run(project, template, engine)[0] == ExitCode.OK
    plan = plan_build(project_dir=project, template_dir=template)
    assert plan.pending == []
    assert [f.reason for f in plan.files] == ["already in the template"]
