import importlib

from django.apps import apps
from django.core.management.base import BaseCommand

from villageaffairs import demo


class Command(BaseCommand):
    help = "Create (or complete) the demo villages, households, cadres and logins. Idempotent."

    def handle(self, *args, **options):
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
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins are listed in README.md."))
