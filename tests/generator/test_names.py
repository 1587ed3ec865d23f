import pytest

from quickscale.exceptions import ExitCode, InvalidNameError
from quickscale.generator.names import project_name_derive


@pytest.mark.parametrize(
    ("raw", "package", "title"),
    [
        ("my-saas-app", "my_saas_app", "My Saas App"),
        ("My SaaS App", "my_saas_app", "My SaaS App"),
        ("  shop  ", "shop", "Shop"),
        ("acme.io", "acme_io", "Acme Io"),
        ("app2", "app2", "App2"),
        ("Café Über", "cafe_uber", "Café Über"),
    ],
)
def test_human_names_become_package_names_and_titles(raw, package, title):
    derived = project_name_derive(raw)
    assert (derived.package, derived.title) == (package, title)


@pytest.mark.parametrize("raw", ["", "   ", "123", "---", "9lives", "!!!"])
def test_names_that_cannot_become_a_package_are_refused(raw):
    with pytest.raises(InvalidNameError) as caught:
        project_name_derive(raw)
    assert caught.value.exit_code == ExitCode.INVALID_NAME
    assert caught.value.hint


@pytest.mark.parametrize("raw", ["django", "test", "json", "os", "Django", "allauth", "class"])
def test_names_that_shadow_modules_or_keywords_are_refused(raw):
    with pytest.raises(InvalidNameError):
        project_name_derive(raw)


@pytest.mark.parametrize("raw", ["tests", "templates", "static", "quickscale"])
def test_names_of_the_project_s_own_folders_are_refused(raw):
    with pytest.raises(InvalidNameError, match="folder"):
        project_name_derive(raw)


def test_an_explicit_title_wins_over_the_derived_one():
    assert project_name_derive("acme", title="ACME Cloud").title == "ACME Cloud"


@pytest.mark.parametrize("title", ['Say "hi"', "back\\slash", "two\nlines"])
def test_titles_that_cannot_sit_in_a_python_string_are_refused(title):
    with pytest.raises(InvalidNameError, match="title"):
        project_name_derive("acme", title=title)
