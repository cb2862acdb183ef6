"""Celery tasks of the loans app: thin, take IDs, safe to run twice."""

from celery import shared_task
from django.utils import translation

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
    # Approved templates take no free text: the bank, the amount and the new state; the decline
    # reason stays on the household's page.
    amount = application.approved_amount or application.amount
    with translation.override("zh-hans"):
        state = str(application.get_state_display())
    send_sms(
        head.phone,
        "loan_decision",
        {"bank": str(application.branch), "amount": f"{amount.normalize():f}", "state": state},
    )
    # Marked after the send, so a failed send is retried (from the outbox, which runs one
    # attempt of this state's notice at a time): at least once, and once in practice.
    Application.objects.filter(pk=application.pk, state=application.state).update(
        notified_state=application.state
    )
    return True
