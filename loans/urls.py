"""The bank's pages, under /bank/ (a stable URL)."""

from django.urls import path

from loans import views

app_name = "loans"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:branch_id>/", views.lookup, name="lookup"),
    path("<int:branch_id>/scan/", views.scan, name="scan"),
    path("<int:branch_id>/h/<str:code>/", views.profile, name="profile"),
    path("<int:branch_id>/h/<str:code>/apply/", views.application_new, name="application_new"),
    path("<int:branch_id>/applications/", views.applications, name="applications"),
    path("<int:branch_id>/applications/<int:pk>/", views.application, name="application"),
    path("<int:branch_id>/lookups/", views.lookups, name="lookups"),
    path("<int:branch_id>/policy/", views.policy, name="policy"),
    path("<int:branch_id>/policy/new/", views.policy_new, name="policy_new"),
    path("<int:branch_id>/tokens/", views.tokens, name="tokens"),
    path("<int:branch_id>/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
