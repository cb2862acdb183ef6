"""Settings for the test suite: the real settings, marked as testing (no SECRET_KEY needed)."""

import os

os.environ["TESTING"] = "1"

from villageaffairs.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
