"""The generated settings, read the way the project reads them, in a process of its own."""

import json
import os
import subprocess
import sys

import pytest

from tests.template.conftest import PROJECT

pytestmark = pytest.mark.slow

PROBE = (
    f"import json, {PROJECT}.settings as s; print(json.dumps({{"
    "'cache': s.CACHES['default']['BACKEND'], 'location': s.CACHES['default'].get('LOCATION'),"
    "'cache_options': s.CACHES['default'].get('OPTIONS'), 'sessions': s.SESSION_ENGINE,"
    "'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    "'email': s.EMAIL_BACKEND, 'verification': s.ACCOUNT_EMAIL_VERIFICATION,"
    "'storage': s.STORAGES['staticfiles']['BACKEND'],"
    "'options': s.DATABASES['default'].get('OPTIONS', {})}))"
)


def settings_with(project, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.pop("DATABASE_URL", None)
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=project, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_zero_configuration_means_sqlite_beside_manage_py_and_console_email(project):
    settings = settings_with(project)
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert settings["name"] == str(project / "db.sqlite3")
    assert settings["email"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["verification"] == "optional"


def test_database_url_switches_to_postgresql(project):
    settings = settings_with(project, DATABASE_URL="postgres://u:p@db.internal:5432/shop")
    assert (settings["engine"], settings["name"]) == ("django.db.backends.postgresql", "shop")


def test_server_side_binding_is_an_opt_in_for_postgresql(project):
    url = "postgres://u:p@db.internal:5432/shop"
    assert settings_with(project, DATABASE_URL=url)["options"]["server_side_binding"] is False
    on = settings_with(project, DATABASE_URL=url, DATABASE_SERVER_SIDE_BINDING="True")
    assert on["options"]["server_side_binding"] is True
    sqlite = settings_with(project, DATABASE_SERVER_SIDE_BINDING="True")
    assert "server_side_binding" not in sqlite["options"]


def test_an_empty_database_url_means_the_default(project):
    assert settings_with(project, DATABASE_URL="")["engine"] == "django.db.backends.sqlite3"


def test_redis_url_gives_a_shared_cache(project):
    settings = settings_with(project, REDIS_URL="redis://127.0.0.1:6379/3")
    assert settings["cache"] == "quickscale.cache.DegradingRedisCache"
    assert settings["location"] == "redis://127.0.0.1:6379/3"
    # A hung Redis cannot hold a request for longer than these.
    assert settings["cache_options"] == {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
    # Sessions never live in the cache: an outage of Redis signs nobody out.
    assert settings["sessions"] == "django.contrib.sessions.backends.db"


def test_production_means_mandatory_verification_and_hashed_static_files(project):
    settings = settings_with(
        project, DEBUG="False", SECRET_KEY="s" * 10 + "-production-probe-01234567890123456789"
    )
    assert settings["verification"] == "mandatory"
    assert settings["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
