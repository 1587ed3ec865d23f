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
