import time

from django.core.management.base import BaseCommand, CommandError

from points import services
from villageaffairs.models import Village


class Command(BaseCommand):
    help = "Recompute the households' rankings (all-time and this year) of one or all villages."

    def add_arguments(self, parser):
        parser.add_argument("--village", help="slug of one village (default: every village)")

    def handle(self, *args, village=None, **options):
        village_id = None
        if village:
            found = Village.objects.filter(slug=village).first()
            if found is None:
                raise CommandError(f"No village with slug {village!r}.")
            village_id = found.pk
        start = time.perf_counter()
        written = services.rankings_recompute(village_id=village_id)
        pruned = services.rankings_prune(village_id=village_id)
        self.stdout.write(
            f"{written} ranking snapshots written, {pruned} earlier ones of the same day "
            f"removed, in {time.perf_counter() - start:.2f} s"
        )
