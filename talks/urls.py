"""/v/<village>/talks/… (the list and topic URLs are printed on signs: never change them)."""

from django.urls import path

from talks import views

app_name = "talks"

urlpatterns = [
    path("talks/", views.topic_list, name="list"),
    path("talks/new/", views.topic_new, name="new"),
    path("talks/inbox/", views.inbox, name="inbox"),
    path("talks/reports/", views.reports, name="reports"),
    path("talks/reports/<int:comment_pk>/keep/", views.keep, name="keep"),
    path("talks/<int:pk>/", views.topic_detail, name="detail"),
    path("assist/r/<int:resident_pk>/topic/", views.assist_topic, name="assist_topic"),
    path("talks/<int:pk>/timeline/", views.topic_timeline, name="timeline"),
    path("talks/<int:pk>/reply/", views.reply, name="reply"),
    path("talks/<int:pk>/comment/", views.comment, name="comment"),
    path("talks/<int:pk>/support/", views.support, name="support"),
    path("talks/<int:pk>/comments/<int:comment_pk>/hide/", views.hide, name="hide"),
    path("talks/<int:pk>/comments/<int:comment_pk>/report/", views.report, name="report"),
    path("talks/<int:pk>/votes/new/", views.vote_new, name="vote_new"),
    path("talks/<int:pk>/votes/<int:vote_pk>/ballot/", views.ballot, name="ballot"),
    path("talks/<int:pk>/votes/<int:vote_pk>/close/", views.vote_close, name="vote_close"),
    path("talks/<int:pk>/votes/<int:vote_pk>/ballots/", views.ballots, name="ballots"),
    path("talks/<int:pk>/votes/<int:vote_pk>/roll/", views.roll, name="roll"),
    path(
        "talks/<int:pk>/votes/<int:vote_pk>/roll/correct/", views.roll_correct, name="roll_correct"
    ),
    # Stable: read out at meetings and printed with the result.
    path("talks/<int:pk>/votes/<int:vote_pk>/receipts/", views.receipts, name="receipts"),
    path("talks/<int:pk>/votes/<int:vote_pk>/recount/", views.recount, name="recount"),
    path("talks/<int:pk>/votes/<int:vote_pk>/entrust/", views.entrust, name="entrust"),
    path(
        "talks/<int:pk>/votes/<int:vote_pk>/entrust/paper/",
        views.entrust_paper,
        name="entrust_paper",
    ),
    path(
        "talks/<int:pk>/votes/<int:vote_pk>/entrustments/<int:entrustment_pk>/withdraw/",
        views.entrustment_withdraw,
        name="entrustment_withdraw",
    ),
    path(
        "talks/<int:pk>/votes/<int:vote_pk>/entrustments/<int:entrustment_pk>/paper/",
        views.entrustment_paper,
        name="entrustment_paper",
    ),
    path("talks/<int:pk>/votes/<int:vote_pk>/office/", views.office, name="office"),
    path("talks/<int:pk>/votes/<int:vote_pk>/office/cast/", views.office_cast, name="office_cast"),
    path("talks/<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("talks/<int:pk>/tasks/<int:task_pk>/progress/", views.progress, name="progress"),
    path("talks/<int:pk>/tasks/<int:task_pk>/done/", views.task_done, name="task_done"),
    path("talks/<int:pk>/manage/", views.manage, name="manage"),
    path("talks/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("talks/<int:pk>/rate/", views.rate, name="rate"),
    # Escalation to the town, the town official's actions, "still not fixed?".
    path("talks/<int:pk>/escalate/", views.escalate, name="escalate"),
    path("talks/<int:pk>/follow-up/<int:fu_pk>/", views.follow_up, name="follow_up"),
    path("talks/<int:pk>/official/reply/", views.official_reply, name="official_reply"),
    path("talks/<int:pk>/official/task/", views.official_task, name="official_task"),
    path("talks/<int:pk>/official/take-over/", views.take_over, name="take_over"),
    path("talks/<int:pk>/official/handled/", views.official_handled, name="official_handled"),
    # Printed notices (listed on /v/<village>/notices/).
    path("notices/votes/<int:pk>.pdf", views.vote_notice, name="vote_notice"),
    path("notices/talks/<int:pk>.pdf", views.topic_notice, name="topic_notice"),
]
