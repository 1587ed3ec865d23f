"""The diff-review panel: superusers only, development only, every action a POST."""

import re
import shutil
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from tests.syncback.helpers import edit, project_files

pytestmark = pytest.mark.django_db

CSS = "static/css/app.css"
HOME = "templates/pages/home.html"


@pytest.fixture
def changed(project):
    edit(project / CSS, "gap: 0.5rem;", "gap: 1rem;")
    edit(project / HOME, "Everything an API product needs", "All an API product needs")
    return project


@pytest.fixture
def panel(changed, template):
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        yield


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser(email="root@example.com"))
    return client


def test_the_panel_lists_changed_files_with_their_status(panel, superuser_client):
    response = superuser_client.get(reverse("quickscale_admin_ui:sync_back"))
    assert response.status_code == 200
    assert [(f.path, f.status.value) for f in response.context["plan"].files] == [
        (CSS, "apply"),
        (HOME, "apply"),
    ]


def test_a_file_s_diff_comes_as_a_side_by_side_fragment(panel, superuser_client):
    response = superuser_client.get(reverse("quickscale_admin_ui:sync_back_diff"), {"file": CSS})
    html = response.content.decode()
    text = unescape(re.sub(r"<[^>]+>", "", html)).replace("\xa0", " ")
    assert 'class="diff"' in html and "gap: 1rem;" in text and "gap: 0.5rem;" in text
    assert "<html" not in html


def test_applying_writes_only_the_selected_files(panel, superuser_client, template):
    home_before = (template / HOME).read_bytes()
    confirm = superuser_client.post(
        reverse("quickscale_admin_ui:sync_back_confirm"), {"file": [CSS]}
    )
    assert [f.path for f in confirm.context["files"]] == [CSS]
    response = superuser_client.post(
        reverse("quickscale_admin_ui:sync_back_apply"), {"file": [CSS]}
    )
    assert response.status_code == 200
    assert [f.path for f in response.context["written"]] == [CSS]
    assert "gap: 1rem;" in (template / CSS).read_text()
    assert (template / HOME).read_bytes() == home_before


def test_reading_the_panel_never_writes(panel, superuser_client, template):
    before = project_files(template)
    assert superuser_client.get(reverse("quickscale_admin_ui:sync_back_apply")).status_code == 405
    superuser_client.get(reverse("quickscale_admin_ui:sync_back"))
    assert project_files(template) == before


def test_posts_need_a_csrf_token(panel, template):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_superuser(email="root@example.com"))
    before = project_files(template)
    response = client.post(reverse("quickscale_admin_ui:sync_back_apply"), {"file": [CSS]})
    assert response.status_code == 403
    assert project_files(template) == before


def test_staff_who_are_not_superusers_are_refused(panel, client, template):
    client.force_login(
        get_user_model().objects.create_user(email="staff@example.com", is_staff=True)
    )
    before = project_files(template)
    assert client.get(reverse("quickscale_admin_ui:sync_back")).status_code == 403
    assert (
        client.post(reverse("quickscale_admin_ui:sync_back_apply"), {"file": [CSS]}).status_code
        == 403
    )
    assert project_files(template) == before


def test_anonymous_visitors_are_sent_to_the_admin_log_in(panel, client):
    response = client.get(reverse("quickscale_admin_ui:sync_back"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


PANEL_REQUESTS = [
    ("get", "quickscale_admin_ui:sync_back", {}),
    ("get", "quickscale_admin_ui:sync_back_diff", {"file": CSS}),
    ("post", "quickscale_admin_ui:sync_back_confirm", {"file": [CSS]}),
    ("post", "quickscale_admin_ui:sync_back_apply", {"file": [CSS], "force": "on"}),
]


@pytest.mark.parametrize("who", ["superuser", "anonymous"])
def test_with_debug_off_every_panel_url_is_404_even_from_a_checkout(changed, template, client, who):
    if who == "superuser":
        client.force_login(get_user_model().objects.create_superuser(email="root@example.com"))
    before = project_files(template)
    # A real checkout: with DEBUG on, apply would write into it.
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=False):
        for method, name, data in PANEL_REQUESTS:
            response = getattr(client, method)(reverse(name), data)
            assert response.status_code == 404, (method, name)
    assert project_files(template) == before


def test_the_admin_index_links_to_the_panel_in_development_only(
    changed, template, superuser_client
):
    link = f'href="{reverse("quickscale_admin_ui:sync_back")}"'
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        assert link in superuser_client.get(reverse("admin:index")).content.decode()
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=False):
        index = superuser_client.get(reverse("admin:index"))
        assert index.status_code == 200 and link not in index.content.decode()


def test_staff_who_are_not_superusers_see_no_link_to_the_panel(changed, template, client):
    client.force_login(
        get_user_model().objects.create_user(email="staff@example.com", is_staff=True)
    )
    link = f'href="{reverse("quickscale_admin_ui:sync_back")}"'
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        assert link not in client.get(reverse("admin:index")).content.decode()


def test_with_debug_on_an_installed_template_is_preview_only(
    changed, template, tmp_path, superuser_client
):
    installed = tmp_path / "installed_template"
    shutil.copytree(template, installed)
    with override_settings(BASE_DIR=changed, QUICKSCALE_TEMPLATE_DIR=str(installed), DEBUG=True):
        html = superuser_client.get(reverse("quickscale_admin_ui:sync_back")).content.decode()
        assert "preview only" in html
        assert not re.search(r'type="submit"[^>]*value="Review and apply', html)
        response = superuser_client.post(
            reverse("quickscale_admin_ui:sync_back_apply"), {"file": [CSS]}
        )
        assert response.status_code == 409
        assert "pip install -e" in response.content.decode()
