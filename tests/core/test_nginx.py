"""deploy/nginx.conf is checked by the real nginx when it is installed (CI installs it): its
syntax, and how it treats X-Forwarded-Proto, X-Forwarded-For and private uploads."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

if NGINX is None:
    if os.environ.get("CI") == "true":
        pytest.fail("CI must install nginx (.ci/run)", pytrace=False)
    pytestmark = pytest.mark.skip(reason="nginx is not installed")


def test_config_passes_nginx_t():
    result = subprocess.run(  # noqa: S603
        [str(ROOT / ".ci" / "nginx_check.sh"), NGINX],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Echo(BaseHTTPRequestHandler):
    """Stands in for gunicorn: answers the headers it got, or an X-Accel-Redirect."""

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/files/"):
            self.send_response(200)
            # As villageaffairs.media.serve sends it: percent-encoded.
            self.send_header("X-Accel-Redirect", quote("/_private_media/publicity/1/x账目.pdf"))
            self.send_header("Cache-Control", "private, max-age=3600")
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()
            return
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def running_nginx(tmp_path):
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = _free_port()
    media = tmp_path / "media"
    (media / "private" / "publicity" / "1").mkdir(parents=True)
    (media / "private" / "publicity" / "1" / "x账目.pdf").write_bytes(b"%PDF-secret")
    (media / "talks").mkdir()
    (media / "talks" / "a.jpg").write_bytes(b"public")
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("http://web:8000", f"http://127.0.0.1:{backend.server_port}")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("/srv/media/", f"{media}/")
    (tmp_path / "default.conf").write_text(conf)
    temp = "".join(
        f"{kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must read pytest's tmp_path
        + f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off;\n{temp} include {tmp_path}/default.conf; }}\n"
    )
    proc = subprocess.Popen(  # noqa: S603
        [NGINX, "-p", str(tmp_path), "-e", f"{tmp_path}/error.log", "-c", f"{tmp_path}/nginx.conf"]
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail((tmp_path / "error.log").read_text())
                threading.Event().wait(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        backend.shutdown()


def _get(port, path, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


def test_forwarded_proto_is_believed_only_from_the_https_proxy(running_nginx):
    claim = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "6.6.6.6"}
    # 127.0.0.2: a client that is not the HTTPS proxy, speaking plain HTTP and claiming https.
    _, body = _get(running_nginx, "/", claim, source="127.0.0.2")
    seen = json.loads(body)
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-for"] == "127.0.0.2"
    # The HTTPS proxy (loopback here): its word is passed on, and the chain is appended to.
    _, body = _get(running_nginx, "/", {**claim, "X-Forwarded-For": "1.2.3.4"})
    seen = json.loads(body)
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "1.2.3.4, 127.0.0.1"


def test_private_uploads_only_through_django(running_nginx):
    response, _ = _get(running_nginx, quote("/media/private/publicity/1/x账目.pdf"))
    assert response.status == 404
    response, _ = _get(running_nginx, quote("/_private_media/publicity/1/x账目.pdf"))
    assert response.status == 404  # internal
    response, body = _get(running_nginx, "/files/anything/")
    assert response.status == 200 and body == b"%PDF-secret"
    assert response.getheader("Cache-Control") == "private, max-age=3600"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response, body = _get(running_nginx, "/media/talks/a.jpg")
    assert response.status == 200 and body == b"public"


def test_nginx_access_log_leaves_out_query_strings_and_referrers():
    """A bank officer searches by name or phone (?q=…): that must not land in a log file."""
    import re
    from pathlib import Path

    conf = (Path(__file__).parents[2] / "deploy" / "nginx.conf").read_text()
    formats = re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf)
    assert formats, "nginx.conf defines its own access log format"
    name, body = formats[0]
    assert re.search(rf"access_log\s+\S+\s+{name};", conf)
    for leaky in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "referer"):
        assert leaky not in body
    assert "$uri" in body
