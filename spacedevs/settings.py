"""Settings for the LL2 spacecraft replica, read from the environment.

Every setting a deployment may change is an environment variable documented
in `.env.example` and docs/configuration.md. The defaults give a local development server
on a SQLite file next to the project.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from spacecraft import rates

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-only-for-debug"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

# --- HTTPS, cookies, logins and throttling (docs/production.md: "Security") ---
# Origins (scheme://host) other than this site's own allowed to POST to the admin.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Served over TLS by a proxy (nginx, a load balancer) that passes the Host
# header and sets X-Forwarded-Proto: requests count as https (so next/previous
# links say https), plain http is redirected, HSTS is sent and cookies are
# Secure. Each of these can be turned off on its own.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_TLS_PROXY)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS") or (31_536_000 if BEHIND_TLS_PROXY else 0)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", BEHIND_TLS_PROXY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", BEHIND_TLS_PROXY)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", BEHIND_TLS_PROXY)

# Admin login: after this many failures from one address or for one user name,
# further attempts are refused for the rest of the window (0: no limit).
ADMIN_LOGIN_MAX_FAILURES = int(os.environ.get("ADMIN_LOGIN_MAX_FAILURES") or "5")
ADMIN_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("ADMIN_LOGIN_LOCKOUT_SECONDS") or "900")

# API throttling (spacecraft/api/throttling.py; docs/production.md: "API keys and
# throttling"). Rates as LL2's "15/hour"; unset: no limit. Anonymous clients are
# counted by address, keyed clients (Authorization: Token <key>) by key, at the key's
# own rate if it has one, else at API_THROTTLE_KEY.
try:
    API_THROTTLE_ANON = rates.setting("API_THROTTLE_ANON", os.environ.get("API_THROTTLE_ANON"))
    API_THROTTLE_KEY = rates.setting("API_THROTTLE_KEY", os.environ.get("API_THROTTLE_KEY"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "spacecraft",
]

MIDDLEWARE = [
    # /healthz answers first: any Host, plain http (spacecraft/serving/health.py).
    "spacecraft.serving.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files for the admin and the browsable API, served by the app itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Repeated API requests from the cache, ETag and 304 (spacecraft/serving/cache.py).
    "spacecraft.serving.cache.ResponseCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "spacecraft.serving.security.AdminLoginRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: one read-only snapshot per API read (spacecraft/serving/snapshot.py).
    "spacecraft.serving.snapshot.SnapshotReadMiddleware",
]

ROOT_URLCONF = "spacedevs.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "spacedevs.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE") or "60"),
        conn_health_checks=True,
    )
}

# One slow query must not hold a worker forever: PostgreSQL cancels a statement
# that runs longer than DB_STATEMENT_TIMEOUT seconds (0: no limit).
DB_STATEMENT_TIMEOUT = float(os.environ.get("DB_STATEMENT_TIMEOUT") or "15")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (
        f"{_options.get('options', '')} -c statement_timeout={int(DB_STATEMENT_TIMEOUT * 1000)}"
    ).strip()
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers never wait for a writer (an import, an admin save) and never
    # block one. Writers take the write lock when they begin (IMMEDIATE) and
    # wait up to 20 s for another writer, instead of failing half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# whitenoise serves what `manage.py collectstatic` gathered, compressed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Before any `collectstatic` (development, tests) whitenoise finds the files in the apps.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not STATIC_ROOT.is_dir()

# --- caching (spacecraft/serving/cache.py; docs/production.md) ---
# Redis shared by every worker and instance when REDIS_URL is set, else each
# process's own memory. It holds API responses and throttling counts.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ll2"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a cached API response may be kept (0: no response caching). Never
# stale: every write to the catalogue changes the cache keys.
API_CACHE_SECONDS = int(os.environ.get("API_CACHE_SECONDS") or "600")
API_CACHE_PATH_PREFIX = "/2.3.0/"
# The clock of figures that grow (a spacecraft in space: time_in_space), in seconds:
# answers use the time rounded down to a multiple of it, and a cached answer showing
# such a figure is kept at most that long (0: to the second). spacecraft/figures.py.
API_CLOCK_FIGURES_SECONDS = int(os.environ.get("API_CLOCK_FIGURES_SECONDS") or "60")
# The cache shared by instances (None: only each process's own memory).
API_CACHE_SHARED = "default" if REDIS_URL else None
# Each process also keeps the most recently used responses, up to this size.
API_CACHE_LOCAL_BYTES = int(os.environ.get("API_CACHE_LOCAL_MB") or "64") * 1024 * 1024
# How long a list's exact count is kept for the catalogue's current stamp (0: count every
# time); never stale, since every write changes the stamp (spacecraft/storage/counts.py).
API_COUNT_CACHE_SECONDS = int(os.environ.get("API_COUNT_CACHE_SECONDS") or "600")

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        # DRF's JSONRenderer, byte for byte, with a fast path (spacecraft/api/rendering.py).
        "spacecraft.api.rendering.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [],
    # The API is public and read-only: no session, so no "Vary: Cookie". An API key
    # (Authorization: Token <key>) only changes the caller's rate (spacecraft/api/throttling.py).
    "DEFAULT_AUTHENTICATION_CLASSES": ["spacecraft.api.throttling.APIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "spacecraft.api.pagination.LL2Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "spacecraft.api.filters.LL2FilterBackend",
        "spacecraft.api.filters.LL2SearchFilter",
        "spacecraft.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "spacecraft.api.schema.LL2AutoSchema",
    # Off unless API_THROTTLE_ANON / API_THROTTLE_KEY or a key's own rate sets one.
    "DEFAULT_THROTTLE_CLASSES": ["spacecraft.api.throttling.CallerThrottle"],
    # Proxies in front of the server whose X-Forwarded-For entry is trusted to
    # name the client (throttling, admin login limits); 0: REMOTE_ADDR only.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES") or (1 if BEHIND_TLS_PROXY else 0)),
}

# The OpenAPI document at /2.3.0/schema/ and the docs page at /docs/ (see
# spacecraft/api/schema.py). Swagger UI's files come from drf-spectacular-sidecar,
# served by this server, so the docs page works offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "LL2 spacecraft replica",
    "DESCRIPTION": (
        "A self-hosted, wire-compatible replica of Launch Library 2's 2.3.0 spacecraft "
        "endpoints. The component schemas are LL2's own; the error answers (400, 404, 405, "
        "429), which LL2's document leaves out, are documented here too."
    ),
    "VERSION": "2.3.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/2.3.0/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "spacecraft.api.schema.postprocess",
    ],
}

# Shown in the browsable API's "Help" section, as LL2 does.
LL2_DOCS_URL = os.environ.get("LL2_DOCS_URL", "https://ll.thespacedevs.com/docs/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The mirror announces each call itself; httpx's line per request would repeat it.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
