import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from villageaffairs import demo


class Command(BaseCommand):
    help = "Create (or complete) the demo villages, households, cadres and logins. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="seed with DEBUG off (a staging copy, a benchmark, the tests)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            # The demo logins share one published password: on a live site they would open
            # every demo cadre's and the operator's account to anyone who read the README.
            raise CommandError(
                "seed_demo creates accounts with the README's demo password, so it refuses to "
                "run with DEBUG off. Use DEBUG=true for a local demo, or pass "
                "--i-know-this-is-not-production for a copy that nobody outside can reach."
            )
        ctx = demo.seed(stdout=self.stdout)
        for app in ("points", "talks", "loans", "publicity"):
            if not apps.is_installed(app):
                continue
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            module.seed(ctx)
        demo.seed_stats(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins are listed in README.md."))
