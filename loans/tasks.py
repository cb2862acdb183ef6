"""Celery tasks of the loans app: thin, take IDs, safe to run twice."""

from celery import shared_task
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from loans.models import Application
from villageaffairs.sms import send_sms


@shared_task
def application_notify(application_id: int) -> bool:
    """Tell the household head by SMS what became of the application (once per state)."""
    application = (
        Application.objects.filter(pk=application_id)
        .select_related("household__head", "branch__bank")
        .first()
    )
    if application is None or application.state == Application.State.SUBMITTED:
        return False
    head = application.household.head
    if head is None or not head.phone:
        return False
    # Claim the notice with a conditional UPDATE: a retried or duplicated task sends nothing.
    claimed = (
        Application.objects.filter(pk=application.pk, state=application.state)
        .filter(~Q(notified_state=application.state))
        .update(notified_state=application.state)
    )
    if not claimed:
        return False
    with translation.override("zh-hans"):
        text = _("%(branch)s: your loan application of %(amount)s yuan is %(state)s.") % {
            "branch": application.branch,
            "amount": application.approved_amount or application.amount,
            "state": application.get_state_display(),
        }
        if application.decline_reason:
            text += " " + application.decline_reason
    send_sms(head.phone, text)
    return True
