from django.core.management.base import BaseCommand, CommandError

from points import selectors, signs
from villageaffairs.models import Household, Village
from villageaffairs.printing import PrintAddressError


class Command(BaseCommand):
    help = (
        "Write a printable PDF of the courtyard QR signs of every household of a village. "
        "With --figures each sign carries the household's score, rank and star level from "
        "the latest ranking: reprint after each ranking period with the same command."
    )

    def add_arguments(self, parser):
        parser.add_argument("village", help="the village's slug")
        parser.add_argument("-o", "--output", default="signs.pdf", help="PDF file to write")
        parser.add_argument(
            "--figures",
            action="store_true",
            help="print each household's score, rank and star level on its sign",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="public site address in the QR codes (default: SITE_URL; the same checks)",
        )

    def handle(self, *args, village, output, figures, base_url, **options):
        found = Village.objects.filter(slug=village).first()
        if found is None:
            raise CommandError(f"No village with slug {village!r}.")
        households = (
            Household.objects.filter(village=found)
            .select_related("village")
            .only("pk", "code", "name", "house_number", "village__name")
            .order_by("house_number", "pk")
        )
        table, as_of = selectors.sign_figures(found.pk) if figures else (None, None)
        try:
            pdf = signs.signs_pdf(households, base_url=base_url or None, figures=table, as_of=as_of)
        except PrintAddressError as exc:
            raise CommandError(str(exc)) from exc
        with open(output, "wb") as fh:
            fh.write(pdf)
        self.stdout.write(f"{len(households)} signs written to {output}")
