#!/usr/bin/env bash
# `nginx -t` on deploy/nginx.conf as the proxy container loads it (conf.d/default.conf inside
# the stock http block), with the compose host name `web` mapped to 127.0.0.1 since there is
# no Docker network here. Usage: .ci/nginx_check.sh [nginx binary]
set -euo pipefail
cd "$(dirname "$0")/.."
nginx_bin="${1:-nginx}"
d="$(mktemp -d)"
trap 'rm -rf "$d"' EXIT
sed -e 's#http://web:8000#http://127.0.0.1:8000#' deploy/nginx.conf > "$d/default.conf"
mime=/etc/nginx/mime.types
[ -f "$mime" ] || mime=/dev/null
cat > "$d/nginx.conf" <<CONF
pid $d/nginx.pid;
error_log $d/error.log;
events {}
http {
    include $mime;
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    include $d/default.conf;
}
CONF
"$nginx_bin" -t -q -p "$d" -e "$d/error.log" -c "$d/nginx.conf"
echo "deploy/nginx.conf: syntax ok"
