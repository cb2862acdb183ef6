"""The project's URLs and one public page that writes, for the routing tests."""

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone

from villageaffairs.models import Heartbeat
from villageaffairs.urls import urlpatterns as project_urlpatterns


def write_then_read(request):
    before = Heartbeat.objects.count()
    Heartbeat.objects.create(name=request.GET["name"], at=timezone.now())
    after = Heartbeat.objects.count()
    return JsonResponse({"before": before, "after": after})


urlpatterns = [
    path("test/write-then-read/", write_then_read, name="test_write_then_read"),
    *project_urlpatterns,
]
handler404 = "villageaffairs.errors.page_not_found"
handler500 = "villageaffairs.errors.server_error"
