"""Casebook settings, read from the environment.

Fails closed: there is no default secret key, no default database and DEBUG is off
unless asked for. `make run` supplies a local secret and an embedded SQLite database
under var/; production supplies its own (see docker-compose.yml).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from casebook.environment import SecretUnreadable, secret_from_environment

BASE_DIR = Path(__file__).resolve().parent.parent


def env_secret(name: str) -> str | None:
    """The value of NAME, or the contents of the file named by NAME_FILE."""
    try:
        return secret_from_environment(name)
    except SecretUnreadable as error:
        raise ImproperlyConfigured(str(error)) from None


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env_secret("CASEBOOK_SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "CASEBOOK_SECRET_KEY (or CASEBOOK_SECRET_KEY_FILE) is not set. "
        "Casebook has no default secret key; `make run` creates a local one under var/."
    )

DEBUG = env_flag("CASEBOOK_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("CASEBOOK_ALLOWED_HOSTS", "").split(",") if h]

DATABASE_URL = env_secret("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL (or DATABASE_URL_FILE) is not set. Use a PostgreSQL URL in production; "
        "`make run` sets an embedded SQLite database under var/."
    )
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # No request waits without end behind a lock or a stuck transaction: the log's
    # appends give up after the lock timeout (the action is refused, nothing saved). The
    # web entrypoint also limits each statement (CASEBOOK_DB_STATEMENT_TIMEOUT_MS);
    # exports raise that limit for themselves (CASEBOOK_EXPORT_STATEMENT_TIMEOUT_MS).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = " ".join(
        [
            f"-c {name}={int(os.environ.get(variable, default))}"
            for name, variable, default in (
                ("lock_timeout", "CASEBOOK_DB_LOCK_TIMEOUT_MS", 5000),
                ("statement_timeout", "CASEBOOK_DB_STATEMENT_TIMEOUT_MS", 0),
                (
                    "idle_in_transaction_session_timeout",
                    "CASEBOOK_DB_IDLE_IN_TRANSACTION_MS",
                    60000,
                ),
            )
        ]
        # The statements every request runs (casebook.db.prepared) are prepared once per
        # connection and planned once, without their values: a plan made anew for each
        # execution cost more than running it. Only named prepared statements (and
        # PL/pgSQL's) have cached plans; Django's own queries are planned each time.
        + ["-c plan_cache_mode=force_generic_plan"]
    )
    # Django turns psycopg's prepared statements off (for poolers in transaction mode),
    # and with them casebook.db.prepared's. It asks for them by name; nothing else is
    # prepared (Django's cursors never are, and a count this high is never reached).
    options["prepare_threshold"] = 2**31 - 1
elif DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default lets one writer in at a time. A transaction takes the write
    # lock as it begins, waiting for it up to 20 seconds: begun as a reader, a transaction
    # that then wrote while another held the lock would fail at once ("database is
    # locked"), and two people recording at the same moment would see a 503.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
# Who seals the access log (casebook.audit.sealing): on PostgreSQL the sealer, a process
# of its own (`manage.py seal_access_log --follow`); on the embedded SQLite default, which
# serialises every writer anyway, each append seals itself. CASEBOOK_SEAL_INLINE=1 or 0
# overrides.
CASEBOOK_SEAL_INLINE = (
    env_flag("CASEBOOK_SEAL_INLINE")
    if os.environ.get("CASEBOOK_SEAL_INLINE", "").strip()
    else DATABASES["default"]["ENGINE"].endswith("sqlite3")
)
CASEBOOK_EXPORT_STATEMENT_TIMEOUT_MS = int(
    os.environ.get("CASEBOOK_EXPORT_STATEMENT_TIMEOUT_MS", 120_000)
)
INSTALLED_APPS = [
    "casebook.apps.CasebookAdminConfig",  # Django's admin, on Casebook's MFA-only site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "casebook",
]

MIDDLEWARE = [
    "casebook.web.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session middleware (it sees a failure to save the session), inside
    # the security middleware (whose headers its own page gets).
    "casebook.web.failures.CommittedWriteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "casebook.web.failures.BodyCheckMiddleware",  # a malformed body never reaches CSRF
    "casebook.web.failures.NotAllowedPageMiddleware",  # a 405 in words, in the language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "casebook.web.idle.IdleSessionMiddleware",  # its check runs after the CSRF check
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casebook.web.middleware.SecondFactorMiddleware",  # django-otp's, its device prepared
    "casebook.web.middleware.AccountLanguageMiddleware",
    "casebook.web.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "casebook.web.context.role_context",
            ],
            # The web room's filters ({% load casebook %}), named since they live
            # outside the app's own templatetags package.
            "libraries": {"casebook": "casebook.web.templatetags.casebook"},
        },
    },
]

# Form fields and widgets are drawn by Jinja2 (casebook.web.forms.rendering, autoescaped):
# the case form has hundreds of options (taxonomy codes, years, the cases a survivor may
# be linked to), and Django's template engine spends about 1 ms per 20 of them.
FORM_RENDERER = "casebook.web.forms.rendering.WidgetRenderer"  # Django's for the admin's own

# Case access is decided by casebook.cases.selectors alone. Guardian's authentication
# backend is left out on purpose: through user.has_perm() it would let superusers
# and global permissions see every case.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out usernames and addresses
    # Django's ModelBackend, reading each request's account and its groups at once.
    "casebook.accounts.backend.AccountBackend",
]
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
ANONYMOUS_USER_NAME = None  # no guardian anonymous account: anonymous users see nothing

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"  # each role's own start page
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("CASEBOOK_STATIC_ROOT", BASE_DIR / "var" / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# HTTPS everywhere, unless `make run` asks for plain HTTP on the loopback address.
# In production a TLS-terminating proxy sets X-Forwarded-Proto (see docs/operations.md).
LOCAL_HTTP = env_flag("CASEBOOK_INSECURE_LOCAL_HTTP")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not LOCAL_HTTP
SECURE_HSTS_SECONDS = 0 if LOCAL_HTTP else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL_HTTP
SECURE_HSTS_PRELOAD = not LOCAL_HTTP
SESSION_COOKIE_SECURE = not LOCAL_HTTP
CSRF_COOKIE_SECURE = not LOCAL_HTTP
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "casebook.web.failures.csrf_refused"  # recorded, with a page for people
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Aggregate disclosure control. The README explains these defaults.
CASEBOOK_DISCLOSURE = {
    "EPSILON_PER_EXPORT": float(os.environ.get("CASEBOOK_EPSILON_PER_EXPORT", "1.0")),
    "EPSILON_PER_DASHBOARD_TABLE": 0.25,
    "SUPERVISOR_MONTHLY_BUDGET": float(os.environ.get("CASEBOOK_SUPERVISOR_BUDGET", "4.0")),
    "GLOBAL_MONTHLY_BUDGET": float(os.environ.get("CASEBOOK_GLOBAL_BUDGET", "30.0")),
    "DASHBOARD_MONTHLY_BUDGET": 1.0,
    "GLOBAL_LIFETIME_BUDGET": float(os.environ.get("CASEBOOK_GLOBAL_LIFETIME_BUDGET", "200.0")),
    "CASES_PER_PERSON": int(os.environ.get("CASEBOOK_CASES_PER_PERSON", "2")),
    "CODES_PER_CASE": 3,
    "THRESHOLD": int(os.environ.get("CASEBOOK_DISPLAY_THRESHOLD", "10")),
    "ROUNDING_BASE": 5,
    # Counted data is frozen every N days, on Mondays 00:00 UTC for whole weeks.
    "SNAPSHOT_EVERY_DAYS": int(os.environ.get("CASEBOOK_SNAPSHOT_EVERY_DAYS", "7")),
}

# Coalition statistics (casebook.coalition; docs/coalition.md): this installation's
# organisation as the coalition's members file names it, the members file (names and
# public keys, shared by every member), and the coalition's own budget: epsilon per
# standard table of a bundle (at most 1), per calendar year of the bundles' data, and
# for all years together, within the lifetime budget above; and how many past complete
# calendar years are offered when the members file lists no `years`. The system check
# casebook.E004 refuses unusable values. The release-signing key is a secret, read by
# casebook.crypto from CASEBOOK_RELEASE_SIGNING_KEY or CASEBOOK_RELEASE_SIGNING_KEY_FILE.
CASEBOOK_ORGANISATION_NAME = os.environ.get("CASEBOOK_ORGANISATION_NAME", "").strip()
CASEBOOK_COALITION_MEMBERS_FILE = os.environ.get("CASEBOOK_COALITION_MEMBERS_FILE", "").strip()
CASEBOOK_COALITION = {
    "EPSILON_PER_TABLE": float(os.environ.get("CASEBOOK_COALITION_EPSILON_PER_TABLE", "0.5")),
    "YEARLY_BUDGET": float(os.environ.get("CASEBOOK_COALITION_BUDGET", "4.0")),
    "TOTAL_BUDGET": float(os.environ.get("CASEBOOK_COALITION_TOTAL_BUDGET", "20.0")),
    "YEARS": int(os.environ.get("CASEBOOK_COALITION_YEARS", "5")),
}

# Cases per page on the case list.
CASEBOOK_PAGE_SIZE = 50

# Operational logs must not say who looked at what: that is the access log's job, and
# it is protected. Request paths (which carry case references) are never logged: a
# server error is logged by its status, kind and place in the code only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_paths": {"()": "casebook.web.server_log.NoPathsFilter"}},
    # On the handler too, so that every django.security.* record is cleaned.
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_paths"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("CASEBOOK_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR", "filters": ["no_paths"]},
        "django.security": {"level": "WARNING", "filters": ["no_paths"]},
        "django.security.csrf": {"level": "WARNING", "filters": ["no_paths"]},
        "django.security.DisallowedHost": {"level": "WARNING", "filters": ["no_paths"]},
        "django.server": {"level": "ERROR"},
    },
}

# Sessions end with the browser, after 30 minutes without a request (the idle limit,
# checked by casebook.web.idle so that a late submit is kept), and at the latest 12 hours
# after signing in. Changing a password signs the account out everywhere else.
# Checkpoints of the access log, signed by the scheduler and sent off the host
# (casebook.audit.checkpoint_shipping; docs/operations.md).
CASEBOOK_CHECKPOINT_EVERY_MINUTES = int(os.environ.get("CASEBOOK_CHECKPOINT_EVERY_MINUTES", 5))
CASEBOOK_CHECKPOINT_URL = os.environ.get("CASEBOOK_CHECKPOINT_URL", "")
CASEBOOK_CHECKPOINT_FILE = os.environ.get("CASEBOOK_CHECKPOINT_FILE", "")
CASEBOOK_CHECKPOINT_MAX_AGE_MINUTES = int(os.environ.get("CASEBOOK_CHECKPOINT_MAX_AGE_MINUTES", 60))

# On the synthetic demo only: the file of demo backup codes, marked as codes are used.
CASEBOOK_DEMO_CODES_FILE = (
    os.environ.get("CASEBOOK_DEMO_CODES_FILE", "") if os.environ.get("CASEBOOK_DEMO") == "1" else ""
)
CASEBOOK_IDLE_SECONDS = int(os.environ.get("CASEBOOK_IDLE_TIMEOUT_SECONDS", 30 * 60))
CASEBOOK_SESSION_LIMIT_SECONDS = int(os.environ.get("CASEBOOK_SESSION_LIMIT_SECONDS", 12 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = CASEBOOK_SESSION_LIMIT_SECONDS
SESSION_ENGINE = "casebook.accounts.sessions"  # Django's database sessions, read prepared
SESSION_SAVE_EVERY_REQUEST = False  # written before the view (casebook.web.idle)

# Lockout (django-axes): 5 failures lock the username and, separately, the address,
# for an hour, or until an administrator runs `axes_reset_username` / `axes_reset_ip`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Failures are not forgotten at the next right password: otherwise someone with the
# password could guess second-step codes four at a time, signing in again in between.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are recorded in Casebook's own access log
# No start-up banner in every process's output, and axes' log lines name only what it
# locks out by (verbose, they would add each client's user agent).
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # unlock with axes_reset_username / axes_reset_ip (operations guide)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "casebook.web.client.client_ip"
CASEBOOK_TRUST_X_FORWARDED_FOR = env_flag("CASEBOOK_TRUST_X_FORWARDED_FOR")

# Multi-factor authentication (django-otp): TOTP with backup codes.
OTP_TOTP_ISSUER = "Casebook"

# Content-Security-Policy (django-csp): nothing inline, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
