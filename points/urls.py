from django.urls import path

from points import views

app_name = "points"

urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("ranking/", views.ranking, name="ranking"),
    path("posting/", views.posting, name="posting"),
    path("posting/<int:entry_id>/object/", views.objection_new, name="objection_new"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/photos/<int:pk>/", views.photo, name="photo"),
    path("claims/photos/<int:pk>/thumb/", views.photo, {"thumb": True}, name="photo_thumb"),
    path("assist/r/<int:resident_pk>/claim/", views.assist_claim, name="assist_claim"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_decide, name="review_decide"),
    path("review/objections/<int:pk>/", views.objection_resolve, name="objection_resolve"),
    path("award/", views.award, name="award"),
    path("shop/", views.shop, name="shop"),
    path("shop/<int:pk>/reserve/", views.shop_reserve, name="shop_reserve"),
    path("counter/", views.counter, name="counter"),
    path("counter/<int:pk>/", views.counter_reservation, name="counter_reservation"),
    path("notices/ranking.pdf", views.ranking_notice, name="ranking_notice"),
    path("notices/posting.pdf", views.posting_notice, name="posting_notice"),
    path("signs/<int:pk>.png", views.sign_png, name="sign_png"),
    path("signs/prints/<int:pk>/", views.sign_print, name="sign_print"),
    path("signs/prints/<int:pk>/signs.pdf", views.sign_print_file, name="sign_print_file"),
    path("signs/prints/<int:pk>/retry/", views.sign_print_retry, name="sign_print_retry"),
]
