"""Operators' pages of the disclosure app, under /operator/ (across all villages)."""

from django.urls import path

from publicity import views

app_name = "publicity_operator"

urlpatterns = [path("overdue/", views.overdue, name="overdue")]
