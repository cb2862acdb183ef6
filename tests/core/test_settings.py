"""Production settings: checked in a fresh interpreter with production environment values."""

import json
import os
import subprocess
import sys

from django.conf import settings

from villageaffairs.sms import Template

PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 64 + "-a-real-production-secret-value-Qq9#",
    "ALLOWED_HOSTS": "cun.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://cun.example.cn",
    "SITE_URL": "https://cun.example.cn",
    "DATABASE_URL": "sqlite:////tmp/va-deploy-check.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "SMS_BACKEND": "aliyun",
    "SMS_SIGN_NAME": "友谊村村务",
    "SMS_ACCESS_KEY_ID": "LTAI-production-key-id",
    "SMS_ACCESS_KEY_SECRET": "production-key-secret",
    "SMS_TEMPLATE_IDS": json.dumps({key: f"SMS_4870000{i}" for i, key in enumerate(Template)}),
}


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "TESTING",
            "SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATABASE_URL",
            "REDIS_URL",
            "SITE_URL",
        }
        and not k.startswith("SMS_")
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "villageaffairs.settings"
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_source_only_commands_run_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    result = _manage("makemigrations", "--check", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    assert _manage("migrate", "--plan", env=env).returncode != 0  # touches the database: no


def test_check_deploy_is_clean_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_refuses_the_log_backend_with_debug_off():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("SMS_")}
    result = _manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "villageaffairs.E101" in result.stderr
    result = _manage("check", "--deploy", env={**env, "SMS_BACKEND": "log", "DEBUG": "true"})
    assert "villageaffairs.E101" not in result.stderr + result.stdout  # development is fine


def test_check_deploy_requires_a_public_site_url_with_debug_off():
    for site_url in ("", "http://localhost:8000", "http://192.168.1.20", "ftp://cun.example.cn"):
        env = {**PRODUCTION_ENV, "SITE_URL": site_url}
        result = _manage("check", "--deploy", env=env)
        assert result.returncode != 0, site_url
        assert "villageaffairs.E106" in result.stderr, site_url
    development = {**PRODUCTION_ENV, "SITE_URL": "", "DEBUG": "true"}
    result = _manage("check", "--deploy", env=development)
    assert "villageaffairs.E106" not in result.stderr + result.stdout


def test_check_refuses_a_provider_without_keys_or_template_ids():
    ids = json.loads(PRODUCTION_ENV["SMS_TEMPLATE_IDS"])
    del ids["topic_follow_up"]
    env = {**PRODUCTION_ENV, "SMS_BACKEND": "tencent", "SMS_TEMPLATE_IDS": json.dumps(ids)}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SMS_SDK_APP_ID must be set" in result.stderr  # Tencent needs its app id
    assert "no tencent template id for: topic_follow_up." in result.stderr
    result = _manage("check", env={**env, "SMS_TEMPLATE_IDS": "login_code=1"})
    assert "SMS_TEMPLATE_IDS is not valid JSON" in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "is not a boolean" in result.stderr


def test_hsts_preload_is_opt_in():
    """Preload is the operator's decision (docs/operations.md); check --deploy stays clean."""
    code = "from django.conf import settings; print(settings.SECURE_HSTS_PRELOAD)"
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split()[-1] == "False", result.stderr
    opted_in = {**PRODUCTION_ENV, "SECURE_HSTS_PRELOAD": "true"}
    assert _manage("shell", "-c", code, env=opted_in).stdout.split()[-1] == "True"
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=opted_in)
    assert result.returncode == 0, result.stderr + result.stdout
