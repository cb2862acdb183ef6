"""The API's shared behaviour: schema, docs without a CDN, problem details, rate limits."""

import re

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn: every view states its serializers, so the schema says what it answers.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/" in schema["paths"]


def test_the_schema_is_served_as_openapi(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    validate(response.json())


def test_the_api_root_links_the_schema_and_docs(client):
    body = client.get("/api/v1/").json()
    assert body["version"] == "v1"
    assert body["schema"].endswith("/api/schema/") and body["docs"].endswith("/api/docs/")


def test_the_docs_are_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert any("swagger-ui" in s for s in sources)
    # No inline script: the page runs under our Content-Security-Policy (script-src 'self').
    assert not re.search(r"<script>(?!\s*</script>)", html)
    assert "<style" not in html and "style=" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


def test_an_unknown_api_address_answers_problem_details(client):
    response = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found" and body["status"] == 404
    assert body["type"] == "urn:villageaffairs:problem:not_found"
    assert body["title"] == "Not found." == body["message"]["en"]
    assert body["message"]["zh-hans"] != body["message"]["en"]
    assert body["detail"] == body["message"]["zh-hans"]
    assert body["instance"] == "/api/v1/no-such-thing/"


def test_a_wrong_method_is_a_problem_naming_what_is_allowed(client):
    response = client.post("/api/v1/", {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_over_the_rate_limit_answers_429_with_retry_after(client, settings):
    settings.API_RATE_LIMIT = "3/min"
    for _ in range(3):
        assert client.get("/api/v1/").status_code == 200
    response = client.get("/api/v1/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "rate_limited"
    assert body["message"]["zh-hans"] and body["message"]["en"] != body["message"]["zh-hans"]
    # Another client (address) is not limited by the first one's requests.
    assert client.get("/api/v1/", REMOTE_ADDR="10.9.8.7").status_code == 200


def test_the_api_kit_imports_first_in_a_fresh_process():
    """rest_framework.views reads our throttle class from the settings when first imported: the
    kit must not import it at its top, or whatever imports the kit first fails (a circle)."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); import villageaffairs.apikit; "
        "from rest_framework.views import APIView; print(APIView.throttle_classes)"
    )
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "villageaffairs.settings"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "ClientRateThrottle" in result.stdout
