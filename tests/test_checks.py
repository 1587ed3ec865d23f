from django.core.checks import run_checks
from django.test import override_settings


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


def test_deploy_checks_stay_out_of_ordinary_checks():
    assert not {"quickscale.W001", "quickscale.W002", "quickscale.W003", "quickscale.W004"} & ids(
        run_checks()
    )


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


def test_a_project_without_the_api_error_middleware_is_warned(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("ApiErrorMiddleware")]
    assert "quickscale.W040" in ids(run_checks())


def test_the_api_error_middleware_after_django_s_is_warned(settings):
    rest = [m for m in settings.MIDDLEWARE if not m.endswith("ApiErrorMiddleware")]
    settings.MIDDLEWARE = [rest[0], "quickscale.apps.api.middleware.ApiErrorMiddleware", *rest[1:]]
    assert "quickscale.W040" in ids(run_checks())


def test_the_generated_project_installs_the_api_error_middleware_first():
    assert "quickscale.W040" not in ids(run_checks())
