from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "quickscale.apps.billing"
    label = "quickscale_billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"
