"""Just enough settings for mypy's Django plugin to load the package's models."""

SECRET_KEY = "mypy"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "quickscale",
    "quickscale.apps.accounts",
    "quickscale.apps.orgs",
    "quickscale.apps.keys",
    "quickscale.apps.credits",
    "quickscale.apps.api",
    "quickscale.apps.services",
    "djstripe",
    "quickscale.apps.billing",
]
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_SUBSCRIBER_MODEL = "quickscale_orgs.Organization"
AUTH_USER_MODEL = "quickscale_accounts.User"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]
