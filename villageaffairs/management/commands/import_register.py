from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from villageaffairs import register_import, selectors


class Command(BaseCommand):
    help = (
        "Import a village's household register from an Excel sheet (.xlsx). Prints the plan "
        "and every row's errors; exits non-zero and saves nothing if any row is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("village", help="the village's slug")
        parser.add_argument("file", help="the register sheet (.xlsx)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print the plan and save nothing"
        )
        parser.add_argument(
            "--confirm-departures",
            action="store_true",
            help="also mark the residents missing from the sheet as no longer registered",
        )

    def handle(self, *args, village, file, dry_run, confirm_departures, **options):
        place = selectors.village_by_slug(village)
        if place is None:
            raise CommandError(_("No village “%(slug)s”.") % {"slug": village})
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from None
        try:
            sheet = register_import.read_sheet(data)
        except register_import.SheetError as error:
            raise CommandError(" ".join(error.messages)) from None
        result = register_import.plan(place, sheet)
        self._print(place, path, result)
        if not result.ok:
            raise CommandError(_("%(n)d errors: nothing was saved.") % {"n": len(result.problems)})
        if dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))
            return
        try:
            result = register_import.register_import(
                actor=None,
                village=place,
                sheet=sheet,
                confirm_departures=confirm_departures,
                expected_digest=result.digest(),
            )
        except register_import.RegisterImportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(_("Imported.")))
        if result.departures and confirm_departures:
            self.stdout.write(
                _("%(n)d residents marked as no longer registered.") % {"n": len(result.departures)}
            )

    def _print(self, village, path, result):
        write = self.stdout.write
        write(f"{village.name} ({village.slug}): {path.name}")
        for notice in result.notices:
            write(f"  {notice}")
        for problem in result.problems:
            self.stderr.write(
                _("row %(row)d, %(column)s: %(message)s")
                % {"row": problem.row, "column": problem.column, "message": problem.message}
            )
        if not result.ok:
            return
        write(_("Households added: %(n)d") % {"n": len(result.households_added)})
        for hp in result.households_added:
            write(f"  {hp.house_number} {hp.group} {hp.head_row.name}")
        write(_("Households changed: %(n)d") % {"n": len(result.households_changed)})
        for hp, changes in result.households_changed:
            shown = "; ".join(f"{label}: {old} → {new}" for label, old, new in changes)
            write(f"  {hp.house_number}: {shown}")
        write(_("Residents added: %(n)d") % {"n": len(result.residents_added)})
        for row in result.residents_added:
            write(f"  {row.number}: {row.house_number} {row.name}")
        write(_("Residents changed: %(n)d") % {"n": len(result.residents_changed)})
        for change in result.residents_changed:
            shown = "; ".join(f"{label}: {old} → {new}" for label, old, new in change.shown)
            write(f"  {change.row.number}: {change.row.house_number} {change.row.name}: {shown}")
        write(_("Unchanged: %(n)d") % {"n": result.unchanged})
        write(_("Departures (registered, not on the sheet): %(n)d") % {"n": len(result.departures)})
        for resident in result.departures:
            write(f"  {resident.house_number} {resident.name}")
        if result.departures:
            write(_("Departures are applied only with --confirm-departures."))
