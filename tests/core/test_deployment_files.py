"""The compose stack cannot run here (no Docker engine): check its definition instead."""

import re
from pathlib import Path

import yaml
from django.conf import settings

from villageaffairs.queues import KINDS, all_queues

ROOT = Path(settings.BASE_DIR)
WORKERS = ("worker", *(f"worker-{kind}" for kind in KINDS))
SMS_VARIABLES = [
    "SMS_SIGN_NAME",
    "SMS_ACCESS_KEY_ID",
    "SMS_ACCESS_KEY_SECRET",
    "SMS_SDK_APP_ID",
    "SMS_REGION",
    "SMS_ENDPOINT",
    "SMS_TEMPLATE_IDS",
]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "beat", "proxy", *WORKERS}
    for name in ("postgres", "redis", "web", "proxy", *WORKERS):
        assert services[name]["healthcheck"]["test"], name
    assert (
        "gunicorn --config deploy/gunicorn.conf.py villageaffairs.wsgi:application"
        in services["web"]["command"]
    )
    assert "migrate" in services["web"]["command"]
    for name in WORKERS:
        assert services[name]["command"][:4] == ["celery", "-A", "villageaffairs", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "villageaffairs", "beat"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_each_queue_has_a_worker_service_of_its_own():
    """One worker service per kind of task, so that `--scale worker-rankings=3` adds rankings
    workers only; together they consume every queue (the default CELERY_QUEUE)."""
    services = _compose()["services"]
    consumed = {}
    for name in WORKERS:
        command = services[name]["command"]
        consumed[name] = command[command.index("-Q") + 1].split(",")
    assert consumed["worker"] == ["villageaffairs"]
    for kind in KINDS:
        assert consumed[f"worker-{kind}"] == [f"villageaffairs.{kind}"]
    every = sorted(q for queues in consumed.values() for q in queues)
    assert every == sorted(all_queues("villageaffairs"))


def test_the_proxy_serves_uploads_from_the_media_volume_and_the_rest_from_web():
    services = _compose()["services"]
    proxy = services["proxy"]
    assert "media:/srv/media:ro" in proxy["volumes"]
    assert "media:/app/media" in services["web"]["volumes"]
    mount = next(v for v in proxy["volumes"] if v.endswith("/etc/nginx/conf.d/default.conf:ro"))
    conf = (ROOT / mount.split(":")[0]).read_text()
    assert re.search(r"location /media/ \{\s*alias /srv/media/;", conf)
    assert "proxy_pass http://web:8000;" in conf
    # Room for a claim with six 10 MB photos.
    size = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert size >= 6 * 10
    assert "ports" not in services["web"]  # only through the proxy


def test_app_services_share_one_image_and_environment():
    services = _compose()["services"]
    images = {services[n]["image"] for n in ("web", "beat", *WORKERS)}
    assert len(images) == 1
    for name in ("web", "beat", *WORKERS):
        env = services[name]["environment"]
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # refuses to start without it
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DATABASE_REPLICA_URLS"] == "${DATABASE_REPLICA_URLS:-}"
        # Production never falls back to the log backend; the provider's settings pass through.
        assert env["SMS_BACKEND"].startswith("${SMS_BACKEND:?")
        for var in SMS_VARIABLES:
            assert env[var] == f"${{{var}:-}}", (name, var)
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_dockerfile_installs_a_cjk_font_and_the_pinned_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"apt-get install[^\n]*fonts-noto-cjk", dockerfile)
    assert "pip install --no-cache-dir ." in dockerfile
    assert "FROM python:3.11" in dockerfile
    # CI installs the same system packages, so the image is built from what CI proves.
    ci = (ROOT / ".ci" / "run").read_text()
    assert "fonts-noto-cjk" in ci and "gettext" in ci and "make install" in ci


def test_dependencies_are_pinned():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    assert all("==" in d for d in deps), [d for d in deps if "==" not in d]
