import pytest


@pytest.fixture
def template(tmp_path):
    from tests.syncback.helpers import make_checkout

    return make_checkout(tmp_path)


@pytest.fixture
def project(template, tmp_path):
    from tests.syncback.helpers import generate

    return generate(template, tmp_path / "projects")


@pytest.fixture
def engine():
    from django.template import engines

    return engines["django"].engine
