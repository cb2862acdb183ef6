"""/talks/…: the talks pages of a town or county official, across the villages they oversee."""

from django.urls import path

from talks import views

app_name = "talks_official"

urlpatterns = [
    path("escalated/", views.escalated, name="escalated"),
]
