"""A bank decision during a Redis outage is saved, and the household is texted once later."""

from datetime import timedelta

import pytest
from django.urls import reverse

from loans import services
from loans.models import Application
from tests import faults
from villageaffairs import outbox
from villageaffairs.sms import LogBackend

pytestmark = pytest.mark.integration

# The fault-injection fixtures (tests/faults.py), used by name below.
private_redis = faults.private_redis
on_private_redis = faults.on_private_redis


def test_a_bank_decision_during_an_outage_is_texted_once_later(
    client, transactional_db, bank, on_private_redis
):
    bank.consent()
    application = services.application_submit(
        actor=bank.officer,
        household=bank.household,
        branch=bank.branch,
        amount="100000",
        term_months=12,
        purpose="鱼塘",
    )
    client.force_login(bank.officer)
    on_private_redis.stop()
    url = reverse("loans:application", kwargs={"branch_id": bank.branch.pk, "pk": application.pk})
    response = client.post(url, {"action": "approve", "amount": "100000"})
    assert response.status_code in (200, 302)
    assert Application.objects.get(pk=application.pk).state == "approved"
    assert LogBackend.outbox == []

    on_private_redis.start()
    outbox.sweep(now=faults.later())
    outbox.sweep(now=faults.later() + timedelta(hours=2))
    assert [(sent.phone, sent.template) for sent in LogBackend.outbox] == [
        ("+8613800000012", "loan_decision")
    ]
