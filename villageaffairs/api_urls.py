"""``/api/v1/``: each app's ``<app>/api.py`` resources, the OpenAPI schema and its docs.

The core never imports a feature app by name in code paths: it mounts whatever ``api.py``
modules the installed apps have, in a fixed order.
"""

import importlib

from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.reverse import reverse

API_APPS = ("villageaffairs", "points", "talks", "publicity", "loans")


def _app_patterns():
    patterns = []
    for app in API_APPS:
        try:
            module = importlib.import_module(f"{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.api":
                raise
            continue
        patterns += getattr(module, "urlpatterns", [])
    return patterns


@extend_schema(
    operation_id="api_root",
    responses=inline_serializer(
        "ApiRoot",
        {
            "version": serializers.CharField(),
            "schema": serializers.URLField(),
            "docs": serializers.URLField(),
        },
    ),
)
@api_view(["GET"])
def api_root(request):
    """Where the API starts: the schema and the docs."""
    return Response(
        {
            "version": "v1",
            "schema": reverse("api_schema", request=request),
            "docs": reverse("api_docs", request=request),
        }
    )


v1_patterns = [path("", api_root, name="api_root"), *_app_patterns()]

urlpatterns = [
    path("v1/", include(v1_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
