from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from villageaffairs import (
    assist_views,
    dashboard_views,
    joining_views,
    officials_views,
    signin,
    views,
)

village_patterns = [
    path("", views.village_home, name="village_home"),
    path("work/", views.cadre_work, name="cadre_work"),
    path("households/", views.household_register, name="household_register"),
    path("households/import/", views.household_import, name="household_import"),
    path(
        "households/import/<str:token>/",
        views.household_import_preview,
        name="household_import_preview",
    ),
    path("me/", views.my_household, name="my_household"),
    path("join/", joining_views.village_join, name="village_join"),
    path("work/joins/<int:pk>/", joining_views.join_decide, name="join_decide"),
    path(
        "me/joins/<int:pk>/confirm/",
        joining_views.join_confirm_member,
        name="join_confirm_member",
    ),
    path("assist/", assist_views.assist_home, name="assist"),
    path("assist/r/<int:resident_pk>/", assist_views.assist_resident, name="assist_resident"),
    path("assist/acts/<int:pk>/", assist_views.assist_act, name="assist_act"),
    path("assist/acts/<int:pk>/slip/", assist_views.assist_slip, name="assist_slip"),
    path("assist/acts/<int:pk>/signature/", assist_views.assist_signature, name="assist_signature"),
    path("notices/", views.notices_index, name="notices"),
    path("invitations/", officials_views.invitations, name="cadre_invitations"),
    path(
        "invitations/<int:pk>/revoke/",
        officials_views.invitation_revoke,
        name="cadre_invitation_revoke",
    ),
    path("", include("points.urls")),
    path("", include("talks.urls")),
    path("", include("publicity.urls")),
    path("", include("loans.village_urls")),
]

urlpatterns = [
    path("", views.directory, name="home"),
    path("villages/", views.directory, name="directory"),
    path("join/", joining_views.join, name="join"),
    path("join/withdraw/", joining_views.join_withdraw, name="join_withdraw"),
    path("v/<slug:village_slug>/", include(village_patterns)),
    path("r/", dashboard_views.region_index, name="region_index"),
    path("r/<slug:region_slug>/", dashboard_views.region_home, name="region_home"),
    path("r/<slug:region_slug>/export.csv", dashboard_views.region_export, name="region_export"),
    path(
        "r/<slug:region_slug>/v/<slug:village_slug>/",
        dashboard_views.region_village,
        name="region_village",
    ),
    path("officials/", officials_views.home, name="officials"),
    path("bank/", include("loans.urls")),
    path("talks/", include("talks.official_urls")),  # a region official's escalated matters
    path("operator/", include("publicity.operator_urls")),
    path("h/<str:code>/", include("points.public_urls")),  # name: household_public
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/", include("villageaffairs.api_urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # Our own versions of two sign-in steps (limits, digit keyboard), ahead of allauth's.
    path("accounts/login/code/confirm/", signin.confirm_login_code),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", signin.admin_login),
    path("admin/", admin.site.urls),
]

if settings.LOAD_EMPTY_VIEW:  # `make load`: the ceiling of the stack (tests/load/)
    urlpatterns += [path("_empty", views.load_empty, name="load_empty")]

if settings.DEBUG:
    from django.conf.urls.static import static

    # As in production (deploy/nginx.conf): private uploads only through their views.
    from villageaffairs.media import private_not_served

    urlpatterns += [path("media/private/<path:path>", private_not_served)]
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "villageaffairs.errors.page_not_found"
handler500 = "villageaffairs.errors.server_error"
handler429 = "villageaffairs.signin.too_many_requests"  # allauth's limits answer with it
