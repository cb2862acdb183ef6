from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from villageaffairs.divisions import import_divisions


class Command(BaseCommand):
    help = (
        "Import regions and villages from a sheet (.xlsx or .csv) of official division codes: "
        "columns 区划代码 (code), 名称 (name), 级别 (level), 上级代码 (parent code). "
        "Nothing is saved if any row is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("sheet", help="the .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the sheet and report; save nothing"
        )

    def handle(self, *args, sheet, dry_run, **options):
        path = Path(sheet)
        if not path.is_file():
            raise CommandError(f"No such file: {sheet}")
        result = import_divisions(
            actor=None, raw=path.read_bytes(), name=path.name, dry_run=dry_run
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} error(s); nothing was saved.")
        verb = "would be created" if dry_run else "created"
        self.stdout.write(
            f"{len(result.rows)} rows: {result.created} {verb}, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
