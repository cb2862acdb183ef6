from django.core.management.base import BaseCommand, CommandError

from points import signs
from villageaffairs.models import Household, Village


class Command(BaseCommand):
    help = "Write a printable PDF of the courtyard QR signs of every household of a village."

    def add_arguments(self, parser):
        parser.add_argument("village", help="the village's slug")
        parser.add_argument("-o", "--output", default="signs.pdf", help="PDF file to write")
        parser.add_argument(
            "--base-url",
            default="",
            help="site address printed in the QR codes (default: SITE_URL)",
        )

    def handle(self, *args, village, output, base_url, **options):
        found = Village.objects.filter(slug=village).first()
        if found is None:
            raise CommandError(f"No village with slug {village!r}.")
        households = Household.objects.filter(village=found).select_related("village")
        pdf = signs.signs_pdf(
            households.order_by("house_number"),
            lambda h: signs.household_url(h, base_url=base_url or None),
        )
        with open(output, "wb") as fh:
            fh.write(pdf)
        self.stdout.write(f"{households.count()} signs written to {output}")
