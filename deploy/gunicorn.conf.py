"""gunicorn for the web service: `gunicorn -c deploy/gunicorn.conf.py villageaffairs.wsgi`.

Its error and access lines use the project's log format (villageaffairs/logging.py): Asia/Shanghai
time with the offset, the request id, phones masked, and no query strings in the access log.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from villageaffairs.logging import (  # noqa: E402
    GUNICORN_ACCESS_FORMAT,
    gunicorn_logging_config,
)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# The access log goes through logconfig_dict's handler; "-" here would add gunicorn's own
# handler with its own format next to it.
accesslog = None
access_log_format = GUNICORN_ACCESS_FORMAT
logconfig_dict = gunicorn_logging_config(os.environ.get("LOG_LEVEL", "INFO"))
