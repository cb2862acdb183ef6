"""The household's side of point loans, under /v/<village_slug>/credit/."""

from django.urls import path

from loans import views

app_name = "loans_village"

urlpatterns = [
    path("credit/", views.credit, name="credit"),
    path("credit/consent/<int:branch_id>/", views.consent, name="consent"),
    path("assist/r/<int:resident_pk>/consent/", views.assist_consent, name="assist_consent"),
    path("credit/apply/", views.apply, name="apply"),
    path("credit/applications/<int:pk>/", views.household_application, name="application"),
    path("credit/applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
