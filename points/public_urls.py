"""The courtyard sign's target, mounted by villageaffairs/urls.py at /h/<code>/ (no namespace:
the URL name stays ``household_public``)."""

from django.urls import path

from points import views

urlpatterns = [path("", views.household_public, name="household_public")]
