"""Every element the source map marks really starts at the file and line it names."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from quickscale.visual.sourcemap import annotate

pytestmark = pytest.mark.django_db

PUBLIC = ["home", "account_login", "account_signup", "account_reset_password"]
SIGNED_IN = ["account_overview", "credits_overview", "account_email", "account_change_password"]


class Marks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "data-qs-src":
                self.found.append((tag, value))


def marks(html: str) -> list[tuple[str, str]]:
    parser = Marks()
    parser.feed(html)
    return parser.found


def templates_dir() -> Path:
    return Path(settings.TEMPLATES[0]["DIRS"][0])


def pages(client):
    for name in PUBLIC:
        yield name, client.get(reverse(name)).content.decode()
    client.force_login(
        get_user_model().objects.create_user(email="map@example.com", password="pw-1-unusual")
    )
    for name in SIGNED_IN:
        yield name, client.get(reverse(name)).content.decode()


def test_every_mark_names_a_line_that_holds_the_element_s_start_tag(client):
    checked = 0
    with override_settings(DEBUG=True):
        for name, html in pages(client):
            found = marks(html)
            assert found, f"{name} carries no source map"
            for tag, where in found:
                file, _, line = where.rpartition(":")
                source = (templates_dir() / file).read_text().splitlines()
                assert re.search(rf"<{tag}\b", source[int(line) - 1], re.IGNORECASE), (
                    name,
                    tag,
                    where,
                )
                checked += 1
    assert checked > 100


def test_with_debug_off_no_page_carries_the_attribute(client):
    for name, html in pages(client):
        assert "data-qs-src" not in html, name


def test_the_map_skips_template_tags_comments_and_script_contents():
    source = (
        '<div class="{% if a %}x{% endif %}">\n'
        "<!-- <p>hidden</p> -->\n"
        "<script>if (a<b) {}</script>\n"
        "<{% if b %}a{% else %}span{% endif %}>\n"
        "<p>{{ '<em>' }}</p>"
    )
    result = annotate(source, "x.html")
    assert result.count("data-qs-src") == 2
    assert '<div data-qs-src="x.html:1" class=' in result
    assert '<p data-qs-src="x.html:5">' in result
    assert "if (a<b) {}" in result and "<!-- <p>hidden</p> -->" in result


def test_the_map_changes_nothing_else():
    source = (templates_dir() / "pages" / "home.html").read_text()
    stripped = re.sub(r' data-qs-src="[^"]*"', "", annotate(source, "pages/home.html"))
    assert stripped == source
