import pytest
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_unknown_pages_get_the_project_s_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and reverse("home") in html
    assert "<main" in html


def test_the_500_page_renders_without_any_context():
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
