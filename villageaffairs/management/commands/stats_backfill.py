import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from villageaffairs import stats


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Recompute the daily statistics of the region dashboards for a range of days "
        "(default: the last 400 days up to yesterday). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD")

    def handle(self, *args, start=None, end=None, **options):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        end = end or yesterday
        start = start or end - datetime.timedelta(days=399)
        if start > end:
            raise CommandError("--from is after --to.")
        if (end - start).days > 3660:
            raise CommandError("At most ten years at a time.")
        written = stats.backfill(start, end)
        self.stdout.write(f"{written} rows of daily statistics for {start} to {end}.")
