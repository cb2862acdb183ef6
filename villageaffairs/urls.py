from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from villageaffairs import signin, views

village_patterns = [
    path("", views.village_home, name="village_home"),
    path("work/", views.cadre_work, name="cadre_work"),
    path("households/", views.household_register, name="household_register"),
    path("me/", views.my_household, name="my_household"),
    path("notices/", views.notices_index, name="notices"),
    path("", include("points.urls")),
    path("", include("talks.urls")),
    path("", include("publicity.urls")),
    path("", include("loans.village_urls")),
]

urlpatterns = [
    path("", views.directory, name="home"),
    path("villages/", views.directory, name="directory"),
    path("v/<slug:village_slug>/", include(village_patterns)),
    path("bank/", include("loans.urls")),
    path("operator/", include("publicity.operator_urls")),
    path("h/<str:code>/", include("points.public_urls")),  # name: household_public
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    # Our own versions of two sign-in steps (limits, digit keyboard), ahead of allauth's.
    path("accounts/login/code/confirm/", signin.confirm_login_code),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", signin.admin_login),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # As in production (deploy/nginx.conf): private uploads only through their views.
    from villageaffairs.media import private_not_served

    urlpatterns += [path("media/private/<path:path>", private_not_served)]
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "villageaffairs.errors.page_not_found"
handler500 = "villageaffairs.errors.server_error"
handler429 = "villageaffairs.signin.too_many_requests"  # allauth's limits answer with it
