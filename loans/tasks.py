"""Celery tasks of the loans app: thin, take IDs, safe to run twice."""

from celery import shared_task
from django.db.models import Q
from django.utils import translation

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
    return True
