"""A real Celery worker on the real broker (Redis), against the real database (PostgreSQL)."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from villageaffairs.tasks import clear_expired_sessions

pytestmark = pytest.mark.integration


def _wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_task_enqueued_on_commit_runs_on_a_real_worker(celery_live_worker, settings):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    now = timezone.now()
    Session.objects.create(session_key="e" * 32, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="f" * 32, session_data="", expire_date=now + timedelta(1))
    with transaction.atomic():
        clear_expired_sessions.delay_on_commit()
        # Not sent yet: the worker must never see a task before its data is committed.
        time.sleep(0.5)
        assert Session.objects.filter(session_key="e" * 32).exists()
    assert _wait_for(lambda: not Session.objects.filter(session_key="e" * 32).exists())
    assert Session.objects.filter(session_key="f" * 32).exists()


def test_the_job_is_idempotent(transactional_db):
    Session.objects.create(
        session_key="g" * 32, session_data="", expire_date=timezone.now() - timedelta(1)
    )
    assert clear_expired_sessions() == 1
    assert clear_expired_sessions() == 0
