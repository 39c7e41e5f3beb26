"""Settings for the test suite: the real settings, with test-only values for what a test run has
no environment for. DATABASE_URL and REDIS_URL still come from the environment, so the same suite
runs on SQLite or PostgreSQL."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("KAP_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from kap_clinic.settings import *  # noqa: E402,F403
from kap_clinic.settings import STATIC_ROOT, STORAGES  # noqa: E402

STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Plain HTTP test client and live server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["*"]

# Fast hashing; no manifest needed for {% static %}.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# MFA is off for the suite (the personas sign in with a password only); the MFA tests turn it on
# with override_settings.
MFA_REQUIRED_ROLES = "none"
MFA_ADMIN_REQUIRED = False

# Throttle counts (kap_clinic.witness) stay inside one test run: a process-local cache, emptied
# before each test by the root conftest.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
