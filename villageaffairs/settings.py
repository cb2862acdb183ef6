"""Settings, read from the environment (see README "Configuration")."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from villageaffairs.db_router import replica_databases
from villageaffairs.env import env_bool, env_float, env_int, env_json, env_list, env_str
from villageaffairs.logging import logging_config
from villageaffairs.queues import celery_task_queues

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see README, Configuration)."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if DEBUG or TESTING:
    ALLOWED_HOSTS += ["testserver", "localhost", "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address printed in QR codes (courtyard signs, notices): e.g. https://cun.example.cn.
# Never taken from a request's Host. `check --deploy` requires a public one with DEBUG off.
SITE_URL = env_str("SITE_URL", "")
# A Server-Timing header (database time, query count, total) on every response, for operators.
SERVER_TIMING = env_bool("SERVER_TIMING", False)
# `make load` only: mounts /_empty, a view that does nothing, whose req/s is the ceiling of this
# stack on the machine (tests/load/). Never on in production.
LOAD_EMPTY_VIEW = env_bool("LOAD_EMPTY_VIEW", False)

INSTALLED_APPS = [
    "villageaffairs",
    "points",
    "talks",
    "loans",
    "publicity",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # Always installed, so switching it on needs no other change; its pages answer 404 and its
    # button is hidden unless WECHAT_LOGIN_ENABLED (villageaffairs.wechat).
    "allauth.socialaccount.providers.weixin",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

WECHAT_LOGIN_ENABLED = env_bool("WECHAT_LOGIN_ENABLED", False)

MIDDLEWARE = [
    "villageaffairs.middleware.RequestIdMiddleware",
    "villageaffairs.timing.ServerTimingMiddleware",  # only with SERVER_TIMING on
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are compressed (static files come compressed from WhiteNoise, above). BREACH:
    # Django masks the CSRF token anew on every response and GZipMiddleware pads the gzip
    # header at random ("Heal the Breach"), so a token cannot be guessed from the sizes.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "villageaffairs.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "villageaffairs.signin.SignInMiddleware",
    "villageaffairs.middleware.TenancyMiddleware",
    "villageaffairs.replicas.ReplicaMiddleware",  # only with DATABASE_REPLICA_URLS
]

ROOT_URLCONF = "villageaffairs.urls"
WSGI_APPLICATION = "villageaffairs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "villageaffairs.context_processors.site",
                "talks.context_processors.inbox",
            ],
        },
    }
]

# Database: DATABASE_URL, or a SQLite file for the one-command local run.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several test threads and the dev server share the file: wait rather than fail on a lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Read replicas (streaming standbys): public pages for anonymous visitors read from them;
# writes, signed-in users and a client's reads right after its own write use the primary.
# The hot pages' queries as server-side prepared statements on a persistent connection
# (villageaffairs/prepared.py). Turn them off behind a pooler in transaction mode (PgBouncer's).
PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
DATABASES.update(
    replica_databases(
        DATABASE_REPLICA_URLS,
        DATABASES["default"],
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        connect_timeout=env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2),
    )
)
DATABASE_ROUTERS = ["villageaffairs.db_router.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache (shared by every process, so allauth's rate limits hold), Celery broker.
REDIS_URL = env_str("REDIS_URL")
# A down or hung Redis must not fail or hang a request: short socket timeouts here and on the
# broker, a cache that falls back to per-process memory (villageaffairs/cache.py), and work
# after a commit recorded in the outbox (villageaffairs/outbox.py).
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "villageaffairs.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "va"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Without a broker (the one-command local run, the SQLite tests) tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "villageaffairs")
# Queues by kind (rankings, notifications, votes, statistics), each named after the default one,
# so workers can be scaled apart: see villageaffairs/queues.py and README "Scaling".
CELERY_TASK_QUEUES = celery_task_queues(CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ROUTES = ("villageaffairs.queues.route_task",)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up at the first failure: the outbox keeps what was not sent. The worker,
# though, reconnects for as long as the broker is away.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT * 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_TIMEOUT * 2,
    "socket_connect_timeout": REDIS_TIMEOUT * 2,
    # An unacknowledged task (acks_late, worker killed) is redelivered after this long; the
    # outbox sweep re-runs such work after its 2-minute lease, long before.
    "visibility_timeout": 3600,
}
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", "/tmp/celerybeat-schedule")  # noqa: S108
# The beat schedule lives in code: villageaffairs/celery.py collects it from the apps.

AUTH_USER_MODEL = "villageaffairs.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: villagers sign in with phone + one-time SMS code; staff with username + password.
ACCOUNT_ADAPTER = "villageaffairs.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "username"}
# Villagers do not sign up: the village registers residents' phones, and a registered phone
# gets its account at the first sign-in (villageaffairs.services.user_for_phone).
ACCOUNT_SIGNUP_FIELDS = ["phone", "username*", "password1*", "password2*"]
# SMS codes as villagers know them: six digits.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = 3  # resends per code page; each counts as a request
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Limits per number ("key") carry the weight; limits per client address are loose, since a
# carrier's NAT or a grid worker signing villagers in from one office puts many people behind
# one address. Addresses come from villageaffairs.clientip (TRUSTED_PROXY_COUNT below).
ACCOUNT_RATE_LIMITS = {
    # Asking for a code (and asking again): one a minute, 5 an hour, 10 a day per number.
    "request_login_code": "60/m/ip,300/h/ip,1/m/key,5/h/key,10/d/key",
    # Trying a code: three tries per code (ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS), and over all
    # codes 10 an hour per number.
    "confirm_login_code": "60/m/ip,300/h/ip,10/h/key",
    # Staff passwords, on the sign-in page and the admin's own.
    "login_failed": "30/m/ip,5/5m/key",
    "admin_login": "30/m/ip,5/5m/key",
    "login": "60/m/ip",
    # Asking to join a village (villageaffairs.joining): wrong details must not read the roll.
    "join_request": "5/h/key,20/d/key",
}
ACCOUNT_RATE_LIMITS_ENABLED = True
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_ADAPTER = "villageaffairs.wechat.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "weixin": {
        "provider_class": "villageaffairs.wechat.provider.WeChatProvider",
        # WeChat's own endpoints unless set (the tests point them at a local stand-in).
        "ACCESS_TOKEN_URL": env_str("WECHAT_ACCESS_TOKEN_URL", ""),
        "PROFILE_URL": env_str("WECHAT_PROFILE_URL", ""),
        "APP": {
            "client_id": env_str("WECHAT_APP_ID", ""),
            "secret": env_str("WECHAT_APP_SECRET", ""),
        },
        "SCOPE": ["snsapi_login"],
    }
}

# SMS (villageaffairs/sms.py): approved provider templates only. SMS_BACKEND is `log` (the
# default; refused by `check --deploy` with DEBUG off), `aliyun`, `tencent` or a dotted path.
SMS_BACKEND = env_str("SMS_BACKEND", "log")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID", "")
SMS_ACCESS_KEY_SECRET = env_str("SMS_ACCESS_KEY_SECRET", "")
SMS_SDK_APP_ID = env_str("SMS_SDK_APP_ID", "")  # Tencent only
SMS_REGION = env_str("SMS_REGION", "")  # default cn-hangzhou (Aliyun), ap-guangzhou (Tencent)
SMS_ENDPOINT = env_str("SMS_ENDPOINT", "")  # default: the provider's; tests point it at 127.0.0.1
# Our template keys to the provider's template ids, as JSON: {"login_code": "SMS_123456789"}.
SMS_TEMPLATE_IDS = env_json("SMS_TEMPLATE_IDS", {})
# Seconds: a provider that does not answer must not hold a sign-in request for long.
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 5)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "va_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads checked by a view (villageaffairs/media.py) live under MEDIA_ROOT/private/, which nginx
# never serves itself. With MEDIA_ACCEL_REDIRECT on (production, behind deploy/nginx.conf) the
# view answers with X-Accel-Redirect to nginx's internal MEDIA_ACCEL_PREFIX location; off, the
# view streams the file itself (local run, tests).
MEDIA_ACCEL_REDIRECT = env_bool("MEDIA_ACCEL_REDIRECT", not (DEBUG or TESTING))
MEDIA_ACCEL_PREFIX = "/_private_media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Security. Production (DEBUG off) is HTTPS behind a proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = not (DEBUG or TESTING)
CSRF_COOKIE_SECURE = not (DEBUG or TESTING)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is opt-in (docs/operations.md, "HSTS preload"): once a domain is on the browsers'
# preload lists it cannot go back to plain HTTP for months, so the operator decides. Django warns
# (security.W021) whenever preload is off; that one warning only is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's database sessions, read with a prepared query (villageaffairs/sessions.py).
SESSION_ENGINE = "villageaffairs.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 60  # villagers stay signed in on their own phone
STAFF_SESSION_IDLE_SECONDS = 12 * 60 * 60  # staff sessions end after 12 hours idle
# The proxies in front of gunicorn that we run, each appending to X-Forwarded-For: in production
# the HTTPS proxy and nginx (2). With 0 the header is ignored. See villageaffairs/clientip.py.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The JSON API (/api/v1/, villageaffairs/apikit.py): Django REST framework with drf-spectacular.
# Open data is anonymous; bank systems authenticate with their branch token (loans).
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "120/min")
BANK_API_RATE_LIMIT = env_str("BANK_API_RATE_LIMIT", "600/min")  # per bank token
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["villageaffairs.apikit.ClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "villageaffairs.apikit.Cursor",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "villageaffairs.apikit.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Village Affairs Platform API",
    "DESCRIPTION": (
        "Open data of the villages (points rules and rankings by household code, talks, votes, "
        "disclosures) and the bank API for point loans. Errors are problem details "
        "(RFC 9457) with a stable code."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice fields of the same name in several apps get their own schema enums.
    "ENUM_NAME_OVERRIDES": {
        "RuleCategoryEnum": "points.models.Rule.Category",
        "TopicCategoryEnum": "talks.models.Topic.Category",
        "FinanceCategoryEnum": "publicity.models.Category",
    },
}

ADMINS = [("Operator", a) for a in env_list("ADMIN_EMAILS")]
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@localhost")

# One format for Django, gunicorn (deploy/gunicorn.conf.py) and Celery (villageaffairs/celery.py):
# ISO 8601 time in Asia/Shanghai with its offset, the request id, phone numbers masked.
# LOG_LEVEL_CELERY, not CELERY_LOG_LEVEL: Celery writes that one into the environment itself
# (a number, or empty), and processes started from a worker would inherit it.
LOGGING = logging_config(env_str("LOG_LEVEL", "INFO"), env_str("LOG_LEVEL_CELERY", "INFO"))

# Error reports to Sentry when SENTRY_DSN is set; no personal data, phone numbers scrubbed.
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    from villageaffairs.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
