"""fangkong settings: every knob read from the environment, safe by default.

Nothing here needs to be edited for a deployment; set environment variables instead
(see docs/deployment.md). Without any, fangkong runs as a local demo on a private PostgreSQL server.
"""

import ipaddress
import json
import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


# "development" (the default, also the demo) or "production".
FANGKONG_ENV = os.getenv("FANGKONG_ENV", "development")
PRODUCTION = FANGKONG_ENV == "production"


def secret(name: str, dev_default: str) -> str:
    """A secret that has a throwaway default in development and none in production."""
    value = os.getenv(name, "")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when FANGKONG_ENV=production")
    return dev_default


SECRET_KEY = secret("FANGKONG_SECRET_KEY", "dev-only-not-secret-fangkong-0000000000000000000000")
DEBUG = envbool("FANGKONG_DEBUG", "false")
ALLOWED_HOSTS = envlist("FANGKONG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
# The address residents' phones reach; printed into every place-code QR.
FANGKONG_PUBLIC_URL = os.getenv("FANGKONG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = envlist("FANGKONG_CSRF_TRUSTED_ORIGINS", FANGKONG_PUBLIC_URL)

# Field encryption keys (Fernet, urlsafe base64 of 32 bytes), newest first. Rotation: put a new
# key in front, run `manage.py rotate_field_keys`, then drop the old key.
FANGKONG_FIELD_KEYS = envlist("FANGKONG_FIELD_KEYS")
if not FANGKONG_FIELD_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured("FANGKONG_FIELD_KEYS must be set when FANGKONG_ENV=production")
    # Development only: a fixed key so a demo database survives restarts. Never for real data.
    FANGKONG_FIELD_KEYS = ["ZGV2LW9ubHktZmFuZ2tvbmctZmllbGQta2V5LTAwMDA="]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "fangkong.core",
    "fangkong.audit",
    "fangkong.territory",
    "fangkong.accounts",
    "fangkong.people",
    "fangkong.screening",
    "fangkong.passes",
    "fangkong.healthcode",
    "fangkong.testing",
    "fangkong.isolation",
    "fangkong.zones",
    "fangkong.enterprises",
    "fangkong.tracing",
    "fangkong.district",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fangkong.accounts.middleware.RequireOTPMiddleware",
    "fangkong.accounts.idle.ActivityMiddleware",
    "fangkong.audit.middleware.AuditContextMiddleware",
    # Search forms post; the text is kept in the session and the result page is ?qk=<key> (core/search.py).
    "fangkong.core.search.PrivateSearchMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "fangkong.core.limits.LimitedMiddleware",
    # A database outage in a view answers 503 with Retry-After, not a 500 (core/errors.py).
    "fangkong.core.errors.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fangkong" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# PostgreSQL, e.g. postgres://user@127.0.0.1:5432/fangkong. Unset outside production: the checkout's private
# server (core/devdb.py), exported so that the processes this one starts use it too.
if not os.getenv("DATABASE_URL"):
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set when FANGKONG_ENV=production")
    from fangkong.core import devdb

    os.environ["DATABASE_URL"] = devdb.database_url()
# Health checks: a kept connection that died with a PostgreSQL restart is replaced at the start of the next
# request instead of failing it.
DATABASES = {"default": dj_database_url.config(conn_max_age=envint("DB_CONN_MAX_AGE", "60"), conn_health_checks=True)}
if envbool("FANGKONG_DB_PREPARED", "on"):
    # Server-side prepared statements only for the hot-path queries that ask for one (core.db.fetch_prepared):
    # Django leaves psycopg's preparing off (None), and its own queries never come near this count.
    # Off behind a pooler that cannot keep prepared statements (docs/deployment.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's minimum length, with its message in Chinese (Django's own catalogue lacks it).
    {"NAME": "fangkong.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after this many idle minutes (staff phones get lost at gates).
SESSION_COOKIE_AGE = envint("FANGKONG_SESSION_MINUTES", "120") * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = envbool("FANGKONG_SSL_REDIRECT", "true" if PRODUCTION else "false")
SECURE_HSTS_SECONDS = envint("FANGKONG_HSTS_SECONDS", "31536000" if PRODUCTION else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = False
# Intranet hosts are not on the public HSTS preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (django-csp): scripts only from our own static files, so an injected <script> or
# onclick="..." does not run. Pages carry no inline script and no event-handler attribute (forms.js reads data-*
# attributes instead; tests/core/test_security_headers.py checks every template). Inline styles stay allowed: a
# style cannot run code, and htmx and ECharts set them. The camera's stream (pass scanning) is a blob.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("FANGKONG_BEHIND_PROXY", "false") else None
# Reverse proxies (addresses or CIDRs, e.g. "10.0.0.5,10.1.0.0/24") whose X-Forwarded-For is believed; empty: the
# peer's address is the client's. Audit rows, throttles, the login lockout and rate limits all use it (client_ip).
FANGKONG_TRUSTED_PROXIES = [str(ipaddress.ip_network(proxy, strict=False))
                            for proxy in envlist("FANGKONG_TRUSTED_PROXIES")]
# A station page left open polls its live list; with no real use for this many minutes it logs out.
FANGKONG_STATION_IDLE_MINUTES = envint("FANGKONG_STATION_IDLE_MINUTES", "30")

# Login lockout (django-axes): this many failures per username+address lock it for the cool-off,
AXES_FAILURE_LIMIT = envint("FANGKONG_LOGIN_FAILURE_LIMIT", "10")
AXES_COOLOFF_TIME = timedelta(minutes=envint("FANGKONG_LOGIN_COOLOFF_MINUTES", "30"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# and this many from one address, whatever the usernames, lock the address (accounts/lockout.py).
FANGKONG_LOGIN_ADDRESS_FAILURE_LIMIT = envint("FANGKONG_LOGIN_ADDRESS_FAILURE_LIMIT", "30")
AXES_HANDLER = "fangkong.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "fangkong.audit.context.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Rate limits of what anyone may ask without an account (core/limits.py), counted in the shared cache: "N/period"
# (30/10m, 20/h) per client address (client_ip) and per target. Change any in JSON, e.g.
# FANGKONG_LIMITS='{"declare": {"address": "100/10m"}}'. A mobile carrier puts many phones behind one address, so
# the per-address rates of the resident pages are generous; the targets are what one attacker aims at.
FANGKONG_LIMITS = {
    # the resident pages behind a place code (/c/...): scans, taps, declarations, own records
    "scan": {"address": "300/1m"},
    # codes that are unknown, suspended or rotated: past this, 429 without a lookup or a stored rejected scan
    "unknown_code": {"address": "20/10m"},
    # health declarations; target: the identity number declared
    "declare": {"address": "60/10m", "target": "5/10m"},
    # places' self-registration (/register/); target: the community applied to
    "register": {"address": "20/h", "target": "60/h"},
    # the resident's pass code pages (/my/pass/), refreshed every few seconds per person
    "my_pass": {"address": "300/1m"},
    # a zone resident's supply requests (保供, /s/<signed link>/); target: the link
    "supply": {"address": "120/10m", "target": "30/h"},
    # verifying pass codes (station page and API); target: the staff member
    "pass_verify": {"address": "600/1m", "target": "120/1m"},
    # POST /api/auth/token/; target: the username (django-axes locks it after 10 wrong passwords)
    "token": {"address": "20/1m", "target": "30/10m"},
}
for _name, _rules in json.loads(os.getenv("FANGKONG_LIMITS", "{}")).items():
    FANGKONG_LIMITS[_name] = {**FANGKONG_LIMITS.get(_name, {}), **_rules}

# Second factor (TOTP) is required for district admins when this is on (always in production).
FANGKONG_REQUIRE_ADMIN_OTP = envbool("FANGKONG_REQUIRE_ADMIN_OTP", "true" if PRODUCTION else "false")
OTP_TOTP_ISSUER = "fangkong"
# API tokens (POST /api/auth/token/) expire this many hours after they are issued.
FANGKONG_API_TOKEN_HOURS = envint("FANGKONG_API_TOKEN_HOURS", "12")
# The SMS gateway that sends residents' one-time codes (fangkong/core/sms.py); the local outbox outside production.
FANGKONG_SMS_BACKEND = os.getenv("FANGKONG_SMS_BACKEND", "" if PRODUCTION else "fangkong.core.sms.OutboxBackend") \
    or "fangkong.core.sms.DisabledBackend"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Short dates by language (templates write date:"MONTH_DAY_FORMAT", never a Chinese literal format).
FORMAT_MODULE_PATH = ["fangkong.formats"]
LOCALE_PATHS = [BASE_DIR / "fangkong" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("FANGKONG_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "fangkong" / "static"]
# Served by WhiteNoise from the app itself, so one process serves a whole intranet deployment.
WHITENOISE_USE_FINDERS = True
# Without collectstatic (demo, tests) the files come from the finders; the empty root is expected.
warnings.filterwarnings("ignore", message="No directory at")
WHITENOISE_AUTOREFRESH = DEBUG
# In production (after collectstatic): gzip copies and content-hashed names that phones may cache for good,
# so the 1 MB chart library crosses the network once, compressed. The demo and the tests serve files as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(os.getenv("FANGKONG_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# Uploads: spreadsheets are read in full, so cap them (bytes).
FANGKONG_MAX_UPLOAD_BYTES = envint("FANGKONG_MAX_UPLOAD_MB", "50") * 1024 * 1024
# Each attachment of a reopening application (a PDF scan or a photo).
FANGKONG_ATTACHMENT_MAX_BYTES = envint("FANGKONG_ATTACHMENT_MAX_MB", "10") * 1024 * 1024
# An .xlsx is a zip: what it unpacks to (all its parts), and the rows and cells its sheets span, are checked
# before any reader sees it (core/xlsx.py check_archive), since readers hold a sheet and its strings in memory.
FANGKONG_IMPORT_MAX_UNPACKED_MB = envint("FANGKONG_IMPORT_MAX_UNPACKED_MB", "256")
FANGKONG_IMPORT_MAX_ROWS = envint("FANGKONG_IMPORT_MAX_ROWS", "300000")
FANGKONG_IMPORT_MAX_CELLS = envint("FANGKONG_IMPORT_MAX_CELLS", "10000000")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fangkong.accounts.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the API is for programs (the browsable HTML renderer would be a second, unreviewed set of pages).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "fangkong.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "fangkong.core.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fangkong API",
    "DESCRIPTION": "Epidemic prevention and control information system of a district.",
    "VERSION": "1",
    # 3.1: the schemas are JSON Schema (null is a type), so answers can be checked against them as they are.
    "OAS_VERSION": "3.1.0",
    # Requests and answers as separate components: a field written but never answered (a phone) is not
    # documented as part of the answer.
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of choices, whichever field carries it.
    "ENUM_NAME_OVERRIDES": {
        "ColourEnum": "fangkong.healthcode.models.Colour",
        "ScreeningStateEnum": "fangkong.screening.models.State",
        "PlaceStateEnum": "fangkong.passes.models.PlaceState",
        "OverrideStateEnum": "fangkong.healthcode.models.OverrideState",
        "CampaignStateEnum": "fangkong.testing.models.CampaignState",
        "RentalStateEnum": "fangkong.people.models.RentalState",
        "PlaceKindEnum": "fangkong.passes.models.PlaceKind",
        "IsolationKindEnum": "fangkong.isolation.models.Kind",
        "ScreeningSourceEnum": "fangkong.screening.models.Source",
        "IsolationSourceEnum": "fangkong.isolation.models.Source",
        "IsolationStateEnum": "fangkong.isolation.models.State",
        "SupplyKindEnum": "fangkong.zones.models.SupplyKind",
        "ProblemKindEnum": "fangkong.enterprises.models.ProblemKind",
        "EnterpriseStateEnum": "fangkong.enterprises.models.State",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint and field: for signed-in staff only (the docs page asks for a login too).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Background work. Without a broker (demo, tests) tasks run eagerly in the request.
CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Jobs (imports, exports) write a heartbeat this often while they run; one silent this long has lost its worker
# and is marked failed (core/jobs.py), by Celery beat every minute and whenever its page is polled.
FANGKONG_JOB_HEARTBEAT_SECONDS = float(os.getenv("FANGKONG_JOB_HEARTBEAT_SECONDS", "15"))
FANGKONG_JOB_STALE_SECONDS = envint("FANGKONG_JOB_STALE_SECONDS", "300")
# A job still queued after this many hours was lost by the broker: marked failed, never run later.
FANGKONG_JOB_QUEUE_HOURS = envint("FANGKONG_JOB_QUEUE_HOURS", "6")
CELERY_BEAT_SCHEDULE = {
    "fail-stale-jobs": {"task": "fangkong.core.tasks.fail_stale_jobs", "schedule": 60.0},
    # Orders whose day has come start; missed monitoring slots become tasks (每天清零).
    "isolation-rounds": {"task": "fangkong.isolation.tasks.isolation_rounds", "schedule": 600.0},
    # Scans at enterprises' gates count as the employees' presence of the day (enterprises.services).
    "enterprise-gate-presence": {"task": "fangkong.enterprises.tasks.gate_presence", "schedule": 300.0},
    # Risk zones: new households of covered buildings join; the unlock timetable counts the passing days.
    "zones-refresh": {"task": "fangkong.zones.tasks.refresh_zones", "schedule": 1800.0},
}

# The cache holds what every process must agree on at once: revocations (place codes, recorder access, API
# tokens), rate limits, pass codes' short numbers. Production refuses to start without Redis (core/checks.py);
# the demo and the tests, one process each, keep it in memory. FANGKONG_CACHE_PREFIX separates deployments
# (or test runs) that share one Redis database.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if not os.getenv("FANGKONG_REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.getenv("FANGKONG_REDIS_URL"),
          "KEY_PREFIX": os.getenv("FANGKONG_CACHE_PREFIX", "fangkong")}
}

# 一区一码 posters: the hotline printed on every poster, and a TrueType CJK font (.ttf/.ttc) to embed
# so that posters print the same everywhere; empty = the first of the usual system fonts found
# (fonts-wqy-zenhei, fonts-wqy-microhei, fonts-droid-fallback), else an unembedded STSong-Light.
FANGKONG_HOTLINE = os.getenv("FANGKONG_HOTLINE", "12345")
FANGKONG_POSTER_FONT = os.getenv("FANGKONG_POSTER_FONT", "")

# Retention (days). Audit log: 3 years, as the data-protection rules for government systems require
# records of access to personal information to be kept (docs/data-protection.md).
# Passages and health declarations (DESIGN.md, Retention): collected for entry checks and tracing only,
# kept 28 days (two incubation periods), then deleted by `manage.py purge_retention`.
FANGKONG_PASSAGE_RETENTION_DAYS = envint("FANGKONG_PASSAGE_RETENTION_DAYS", "28")
FANGKONG_AUDIT_RETENTION_DAYS = envint("FANGKONG_AUDIT_RETENTION_DAYS", "1095")
# Export files are deleted after this many hours.
FANGKONG_EXPORT_RETENTION_HOURS = envint("FANGKONG_EXPORT_RETENTION_HOURS", "24")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("FANGKONG_LOG_LEVEL", "WARNING")},
}
