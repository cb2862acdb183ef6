"""A task for the fault-injection tests: a ranking recompute that can be made to linger
mid-transaction (VA_TEST_RECOMPUTE_SLEEP, set only for the worker the test kills)."""

import os
import time

from celery import shared_task
from django.db import transaction

from points import services


@shared_task
def slow_recompute(village_id: int) -> int:
    with transaction.atomic():
        written = services.rankings_recompute(village_id=village_id)
        time.sleep(float(os.environ.get("VA_TEST_RECOMPUTE_SLEEP", "0")))
    return written
