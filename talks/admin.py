"""The talks in the Django admin, scoped to the cadre's villages. Writes that change a topic's
status or a vote's result go through the cadre pages (services); the admin reads them and lets
a cadre change the village's talks settings."""

from django.contrib import admin

from talks.models import (
    AbuseReport,
    CategoryDeadline,
    Comment,
    Event,
    FollowUp,
    Notification,
    TalksSettings,
    Topic,
    Vote,
)
from villageaffairs.admin_scoping import ReadOnlyAdminMixin, VillageScopedAdmin


class ReadOnlyAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    pass


@admin.register(TalksSettings)
class TalksSettingsAdmin(VillageScopedAdmin):
    list_display = ("village", "others_may_rate", "reply_days", "handle_days", "follow_up_days")


@admin.register(CategoryDeadline)
class CategoryDeadlineAdmin(VillageScopedAdmin):
    """A category's own reply and handling deadlines (the others use the talks settings')."""

    list_display = ("village", "category", "reply_days", "handle_days")
    list_filter = ("category",)
    list_select_related = ("village",)


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("topic", "ask_at", "asked_at", "answered_at", "fixed")
    list_filter = ("fixed",)
    list_select_related = ("topic",)


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("pk", "title", "village", "category", "status", "author", "created_at")
    list_filter = ("status", "category")
    search_fields = ("title",)
    list_select_related = ("village", "author")
    date_hierarchy = "created_at"


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("question", "village", "opens_at", "closes_at", "closed_at", "passed")
    list_filter = ("passed", "electorate")
    list_select_related = ("village",)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("text", "topic", "author", "report_count", "hidden_at")
    list_filter = ("hidden_at",)
    ordering = ("-report_count", "-created_at")
    list_select_related = ("topic", "author")


@admin.register(AbuseReport)
class AbuseReportAdmin(ReadOnlyAdmin):
    list_display = ("comment", "reporter", "reason", "created_at")
    list_select_related = ("comment", "reporter")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("topic", "kind", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("topic", "actor")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "text", "created_at", "read_at", "sms_sent_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
