"""The test project's URLs as they are with DEBUG on (the page-reload URLs), plus API views
that raise, to see what the API answers for an exception."""

from django.core.exceptions import PermissionDenied
from django.urls import include, path
from testproject.urls import urlpatterns as project_urlpatterns


def explode(request):
    return {}["no such key"]


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("api/v1/test-only/explode", explode),
    path("api/v1/test-only/forbidden", forbidden),
    path("__reload__/", include("django_browser_reload.urls")),
    *project_urlpatterns,
]
