import subprocess
import sys

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.db import connection
from django.test import override_settings

from tests.servers import free_port, project_environment

# dj-stripe's checks read its webhook endpoints from the database.
pytestmark = pytest.mark.django_db


def ids(messages):
    return {message.id for message in messages}


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_deploy_check_warns_when_the_cache_is_local_to_each_process():
    assert "quickscale.W001" in ids(run_checks(include_deployment_checks=True))


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
)
def test_deploy_check_is_quiet_with_a_shared_cache():
    assert "quickscale.W001" not in ids(run_checks(include_deployment_checks=True))


@override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
def test_deploy_check_warns_when_email_goes_to_the_console():
    assert "quickscale.W002" in ids(run_checks(include_deployment_checks=True))


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
def test_deploy_check_is_quiet_with_a_real_mail_server():
    assert "quickscale.W002" not in ids(run_checks(include_deployment_checks=True))


def test_deploy_checks_stay_out_of_ordinary_checks(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    deploy_only = {f"quickscale.W00{n}" for n in range(1, 5)} | {"quickscale.W010"}
    deploy_only |= {"quickscale.W020", "quickscale.W021", "quickscale.W022"}
    deploy_only |= {"quickscale.W030", "quickscale.W031", "quickscale.W032"}
    assert not deploy_only & ids(run_checks())


@override_settings(ACCOUNT_EMAIL_VERIFICATION="none")
def test_deploy_check_warns_when_email_verification_is_not_mandatory():
    assert "quickscale.W003" in ids(run_checks(include_deployment_checks=True))


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_deploy_check_is_quiet_when_verification_is_mandatory():
    assert "quickscale.W003" not in ids(run_checks(include_deployment_checks=True))


@override_settings(DEFAULT_FROM_EMAIL="webmaster@localhost")
def test_deploy_check_warns_about_a_localhost_sender():
    assert "quickscale.W004" in ids(run_checks(include_deployment_checks=True))


@override_settings(DEFAULT_FROM_EMAIL="Acme <hello@acme.example>")
def test_deploy_check_is_quiet_with_a_real_sender():
    assert "quickscale.W004" not in ids(run_checks(include_deployment_checks=True))


@override_settings(QUICKSCALE_SERVICE_TIMEOUT=0)
def test_check_refuses_a_service_time_limit_that_is_not_a_positive_number():
    errors = [m for m in run_checks() if m.id == "quickscale.E050"]
    assert errors and all("number of seconds above 0" in m.msg for m in errors)


@override_settings(QUICKSCALE_SERVICE_TIMEOUT=12.5)
def test_check_is_quiet_with_a_positive_time_limit():
    assert "quickscale.E050" not in ids(run_checks())


def test_deploy_check_is_quiet_with_the_generated_policy():
    assert not {"quickscale.W030", "quickscale.W031", "quickscale.W032"} & ids(
        run_checks(include_deployment_checks=True)
    )


def test_deploy_check_warns_when_no_policy_is_sent(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]
    assert "quickscale.W030" in ids(run_checks(include_deployment_checks=True))


def test_deploy_check_warns_when_the_policy_only_reports(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    assert "quickscale.W031" in ids(run_checks(include_deployment_checks=True))


def test_deploy_check_warns_when_scripts_may_be_inline_or_evaluated(settings):
    policy = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]}}
    policy["DIRECTIVES"]["script-src"] = ["'self'", "'unsafe-eval'"]
    settings.CONTENT_SECURITY_POLICY = policy
    assert "quickscale.W032" in ids(run_checks(include_deployment_checks=True))


PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_deploy_check_warns_behind_a_proxy_with_no_trusted_proxy_count(settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXY_SSL_HEADER
    if hasattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT"):
        del settings.ALLAUTH_TRUSTED_PROXY_COUNT
    (warning,) = [
        m for m in run_checks(include_deployment_checks=True) if m.id == "quickscale.W010"
    ]
    assert "TRUSTED_PROXY_COUNT" in warning.hint


@pytest.mark.parametrize("count", [0, 1, 2])
def test_deploy_check_is_quiet_once_the_proxy_count_is_set_even_to_zero(settings, count):
    settings.SECURE_PROXY_SSL_HEADER = PROXY_SSL_HEADER
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    assert "quickscale.W010" not in ids(run_checks(include_deployment_checks=True))


def test_deploy_check_is_quiet_with_a_trusted_client_ip_header(settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXY_SSL_HEADER
    if hasattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT"):
        del settings.ALLAUTH_TRUSTED_PROXY_COUNT
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "CF-Connecting-IP"
    assert "quickscale.W010" not in ids(run_checks(include_deployment_checks=True))


def test_deploy_check_is_quiet_when_no_proxy_is_assumed(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    if hasattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT"):
        del settings.ALLAUTH_TRUSTED_PROXY_COUNT
    assert "quickscale.W010" not in ids(run_checks(include_deployment_checks=True))


@pytest.mark.parametrize("count", [-1, "1", 1.5, True])
def test_a_trusted_proxy_count_that_is_not_a_whole_number_of_proxies_is_an_error(settings, count):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    (error,) = [m for m in run_checks() if m.id == "quickscale.E010"]
    assert repr(count) in error.msg


@pytest.mark.parametrize("rate", ["", "abc", "10/x", "ten/m", "0/m", "-5/m", 10, None])
@pytest.mark.parametrize(
    "name", ["QUICKSCALE_API_RATE_LIMIT", "QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT"]
)
def test_an_api_rate_that_is_not_a_rate_is_an_error(settings, name, rate):
    setattr(settings, name, rate)
    (error,) = [m for m in run_checks() if m.id == "quickscale.E011"]
    assert name in error.msg


@pytest.mark.parametrize("rate", ["120/m", "5/s", "1000/hour", "1/d"])
def test_api_rates_in_any_unit_pass(settings, rate):
    settings.QUICKSCALE_API_RATE_LIMIT = settings.QUICKSCALE_API_AUTH_FAILURE_RATE_LIMIT = rate
    assert "quickscale.E011" not in ids(run_checks())


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
)
def test_deploy_check_warns_when_a_redis_outage_would_turn_requests_into_errors():
    messages = [m for m in run_checks(include_deployment_checks=True) if m.id == "quickscale.W020"]
    assert messages and "quickscale.cache.DegradingRedisCache" in messages[0].hint


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "quickscale.cache.DegradingRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
)
def test_deploy_check_is_quiet_with_the_cache_that_degrades():
    assert "quickscale.W020" not in ids(run_checks(include_deployment_checks=True))


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
def test_deploy_check_warns_when_sessions_live_only_in_the_cache():
    assert "quickscale.W021" in ids(run_checks(include_deployment_checks=True))


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_deploy_check_is_quiet_when_sessions_are_kept_in_the_database():
    assert "quickscale.W021" not in ids(run_checks(include_deployment_checks=True))


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="asks PostgreSQL for its max_connections"
)


def connection_limit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        (limit,) = cursor.fetchone()
        cursor.execute("SHOW superuser_reserved_connections")
        (reserved,) = cursor.fetchone()
    return int(limit) - int(reserved)


@postgresql_only
@pytest.mark.django_db
def test_deploy_check_warns_when_the_servers_can_open_more_connections_than_postgresql_takes():
    threads = settings.QUICKSCALE_WEB_THREADS
    servers = connection_limit() // (2 * threads) + 1  # two workers each: one server too many
    with override_settings(QUICKSCALE_WEB_SERVERS=servers, QUICKSCALE_WEB_WORKERS=2):
        messages = [
            m for m in run_checks(include_deployment_checks=True) if m.id == "quickscale.W022"
        ]
    assert len(messages) == 1
    assert f"{servers * 2 * threads} connections" in messages[0].msg
    assert f"{connection_limit()} " in messages[0].msg


@postgresql_only
@pytest.mark.django_db
def test_deploy_check_is_quiet_while_the_connections_fit():
    threads = settings.QUICKSCALE_WEB_THREADS
    servers = connection_limit() // (2 * threads)
    with override_settings(QUICKSCALE_WEB_SERVERS=servers, QUICKSCALE_WEB_WORKERS=2):
        assert "quickscale.W022" not in ids(run_checks(include_deployment_checks=True))


@pytest.mark.slow
def test_the_connection_check_says_nothing_and_does_not_fail_when_the_database_is_unreachable(
    test_project_dir,
):
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=test_project_dir,
        env=project_environment(DATABASE_URL=nowhere, WEB_SERVERS="1000"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "quickscale.W022" not in result.stderr


@postgresql_only
@pytest.mark.slow
@pytest.mark.django_db
def test_the_deploy_check_of_the_generated_project_counts_its_servers(test_project_dir):
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}"
    )
    production = project_environment(
        DEBUG="False",
        SECRET_KEY="production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
        DATABASE_URL=url,
    )

    def deploy_check(servers):
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy"],
            cwd=test_project_dir,
            env={**production, "WEB_SERVERS": str(servers), "WEB_CONCURRENCY": "2"},
            capture_output=True,
            text=True,
        )

    assert "quickscale.W022" not in deploy_check(1).stderr
    assert "quickscale.W022" in deploy_check(100).stderr


def test_a_project_without_the_api_error_middleware_is_warned(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("ApiErrorMiddleware")]
    assert "quickscale.W040" in ids(run_checks())


def test_the_api_error_middleware_after_django_s_is_warned(settings):
    rest = [m for m in settings.MIDDLEWARE if not m.endswith("ApiErrorMiddleware")]
    settings.MIDDLEWARE = [rest[0], "quickscale.apps.api.middleware.ApiErrorMiddleware", *rest[1:]]
    assert "quickscale.W040" in ids(run_checks())


def test_the_generated_project_installs_the_api_error_middleware_first():
    assert "quickscale.W040" not in ids(run_checks())
