"""/v/<village>/open/… The index and the finance month URLs are printed on notices: never
change them."""

from django.urls import path, re_path

from publicity import views

app_name = "publicity"

urlpatterns = [
    path("open/", views.index, name="index"),
    path("open/items/new/", views.item_new, name="item_new"),
    path("open/items/<int:pk>/", views.item_detail, name="item"),
    path("open/items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("open/items/<int:pk>/publish/", views.item_publish, name="item_publish"),
    path("open/items/<int:pk>/ask/", views.item_ask, name="item_ask"),
    path("open/files/<int:pk>/", views.attachment_file, name="attachment_file"),
    path(
        "open/files/<int:pk>/thumb/",
        views.attachment_file,
        {"thumb": True},
        name="attachment_thumb",
    ),
    path("open/finance/receipts/<int:pk>/", views.receipt_file, name="receipt_file"),
    path(
        "open/finance/receipts/<int:pk>/thumb/",
        views.receipt_file,
        {"thumb": True},
        name="receipt_thumb",
    ),
    path("open/questions/<int:pk>/answer/", views.answer, name="answer"),
    path("open/finance/books/", views.book, name="book"),
    path("open/finance/entries/new/", views.entry_new, name="entry_new"),
    path("open/finance/entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("open/finance/entries/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
    path("open/finance/import/", views.entry_import, name="entry_import"),
    path("open/finance/import/<int:pk>/", views.import_preview, name="import_preview"),
    # Any yyyy-mm reaches the view, so a month that does not exist gets a page saying so.
    re_path(r"^open/finance/(?P<period>\d{4}-\d{2})/$", views.month, name="month"),
    re_path(r"^open/finance/(?P<period>\d{4}-\d{2})\.csv$", views.month_csv, name="month_csv"),
    re_path(
        r"^open/finance/(?P<period>\d{4}-\d{2})/check/$", views.month_check, name="month_check"
    ),
    re_path(
        r"^open/finance/(?P<period>\d{4}-\d{2})/send-back/$",
        views.month_send_back,
        name="month_send_back",
    ),
    re_path(
        r"^open/finance/(?P<period>\d{4}-\d{2})/publish/$",
        views.month_publish,
        name="month_publish",
    ),
    re_path(r"^open/finance/(?P<period>\d{4}-\d{2})/ask/$", views.month_ask, name="month_ask"),
    # The printed notice of a month (see /v/<village>/notices/).
    re_path(
        r"^notices/accounts/(?P<period>\d{4}-\d{2})\.pdf$",
        views.month_notice,
        name="month_notice",
    ),
]
