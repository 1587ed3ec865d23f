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
    "'options': s.DATABASES['default'].get('OPTIONS', {}),"
    "'proxy_count': getattr(s, 'ALLAUTH_TRUSTED_PROXY_COUNT', None),"
    "'proxy_ssl_header': getattr(s, 'SECURE_PROXY_SSL_HEADER', None),"
    "'conn_max_age': s.DATABASES['default'].get('CONN_MAX_AGE'),"
    "'web': [s.QUICKSCALE_WEB_SERVERS, s.QUICKSCALE_WEB_WORKERS, s.QUICKSCALE_WEB_THREADS]}))"
)


def settings_with(project, argv=(), **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.pop("DATABASE_URL", None)
    environment.update(env)
    # As `manage.py <argv>` would see them: the settings look at the command.
    probe = f"import sys; sys.argv = ['manage.py', *{list(argv)!r}]; " + PROBE
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, env=environment, capture_output=True, text=True
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


PRODUCTION = {"DEBUG": "False", "SECRET_KEY": "p" * 10 + "-production-probe-01234567890123456789"}


def test_the_trusted_proxy_count_comes_from_the_environment(project):
    assert settings_with(project, **PRODUCTION, TRUSTED_PROXY_COUNT="2")["proxy_count"] == 2
    assert settings_with(project, TRUSTED_PROXY_COUNT="0")["proxy_count"] == 0


def test_with_no_trusted_proxy_count_none_is_assumed_and_none_is_set(project):
    settings = settings_with(project, **PRODUCTION)
    assert settings["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["proxy_count"] is None
    assert settings_with(project, **PRODUCTION, TRUSTED_PROXY_COUNT="")["proxy_count"] is None


POSTGRES = "postgres://u:p@db.internal:5432/shop"


def test_postgresql_connections_come_from_a_pool_of_one_per_thread(project):
    settings = settings_with(project, DATABASE_URL=POSTGRES)
    assert settings["conn_max_age"] == 0  # Django's rule with a pool
    assert settings["options"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0}
    threads = settings_with(project, DATABASE_URL=POSTGRES, GUNICORN_THREADS="8")
    assert threads["options"]["pool"]["max_size"] == 8
    assert threads["web"][2] == 8
    sized = settings_with(project, DATABASE_URL=POSTGRES, DATABASE_POOL_MAX_SIZE="2")
    assert sized["options"]["pool"]["max_size"] == 2


def test_without_the_pool_connections_persist_for_conn_max_age(project):
    settings = settings_with(project, DATABASE_URL=POSTGRES, DATABASE_POOL="False")
    assert "pool" not in settings["options"]
    assert settings["conn_max_age"] == 60
    shorter = settings_with(project, DATABASE_URL=POSTGRES, DATABASE_POOL="False", CONN_MAX_AGE="5")
    assert shorter["conn_max_age"] == 5


def test_runserver_keeps_no_connection_past_a_request(project):
    for env in ({}, {"DATABASE_POOL": "False", "CONN_MAX_AGE": "60"}):
        settings = settings_with(project, argv=["runserver"], DATABASE_URL=POSTGRES, **env)
        assert settings["conn_max_age"] == 0
        assert "pool" not in settings["options"]


def test_sqlite_has_no_pool(project):
    assert "pool" not in settings_with(project)["options"]


def test_servers_workers_and_threads_come_from_the_environment(project):
    settings = settings_with(project, WEB_SERVERS="3", WEB_CONCURRENCY="7", GUNICORN_THREADS="2")
    assert settings["web"] == [3, 7, 2]
    assert settings_with(project)["web"][0] == 1


def test_gunicorn_takes_its_workers_and_threads_from_the_settings(project):
    code = "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(c['workers'], c['threads'])"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(WEB_CONCURRENCY="3", GUNICORN_THREADS="2")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "2"]
