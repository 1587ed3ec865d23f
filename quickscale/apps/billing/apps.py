from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "quickscale.apps.billing"
    label = "quickscale_billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import stripe

        from quickscale.apps.billing import checks, receivers  # noqa: F401
        from quickscale.apps.billing.stripe_api import api_version

        stripe.api_version = api_version()
