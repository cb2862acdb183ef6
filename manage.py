#!/usr/bin/env python
import os
import sys

# Commands that only read and write source files (migrations, catalogues) sign nothing, so they
# run on a developer's machine or in CI without a SECRET_KEY. Everything else (the server,
# migrate, check) still refuses to start without one when DEBUG is off.
SOURCE_ONLY_COMMANDS = {"makemigrations", "makemessages", "compilemessages"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villageaffairs.settings")
    if sys.argv[1:2] and sys.argv[1] in SOURCE_ONLY_COMMANDS:
        os.environ.setdefault("SECRET_KEY", f"unused-by-{sys.argv[1]}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
