"""Celery tasks of the loans app: thin, take IDs, safe to run twice."""

from celery import shared_task
from django.utils import translation
from django.utils.translation import gettext as _

from loans.models import Application
from villageaffairs.sms import send_sms
from villageaffairs.tasks import RESILIENT


@shared_task(**RESILIENT)
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
    if application.notified_state == application.state:
        return False  # told already: a retried or duplicated run sends nothing
    with translation.override("zh-hans"):
        text = _("%(branch)s: your loan application of %(amount)s yuan is %(state)s.") % {
            "branch": application.branch,
            "amount": application.approved_amount or application.amount,
            "state": application.get_state_display(),
        }
        if application.decline_reason:
            text += " " + application.decline_reason
    send_sms(head.phone, text)
    # Marked after the send, so a failed send is retried (from the outbox, which runs one
    # attempt of this state's notice at a time): at least once, and once in practice.
    Application.objects.filter(pk=application.pk, state=application.state).update(
        notified_state=application.state
    )
    return True
