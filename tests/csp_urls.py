"""The test project's URLs plus two that fail on purpose, so the 403 and 500 pages are served
the way a real failure serves them (through the project's handlers and templates)."""

from django.core.exceptions import PermissionDenied
from django.urls import path
from testproject.urls import urlpatterns as project_urlpatterns

FORBIDDEN = "__csp__/forbidden/"
BROKEN = "__csp__/broken/"


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a page that fails, for the 500 page's test")


urlpatterns = [
    path(FORBIDDEN, forbidden, name="csp_forbidden"),
    path(BROKEN, broken, name="csp_broken"),
    *project_urlpatterns,
]
