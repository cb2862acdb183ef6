"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def prune_unregistered_accounts() -> int:
    from villageaffairs.services import unregistered_accounts_prune

    return unregistered_accounts_prune()
