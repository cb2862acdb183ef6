"""Sending text messages: one function, a pluggable backend (settings.SMS_BACKEND)."""

import logging
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("villageaffairs.sms")


class LogBackend:
    """Writes each message to the log and keeps the latest in memory (tests read them)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))
        del self.outbox[:-200]
        logger.info("SMS to %s: %s", phone, text)


@cache
def _backend(path: str):
    return import_string(path)()


def send_sms(phone: str, text: str) -> None:
    _backend(settings.SMS_BACKEND).send(phone, text)
