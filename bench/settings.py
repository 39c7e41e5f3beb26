"""Settings for the benchmark only (``make bench``): production settings, plus the ceiling view.

Everything a production deployment runs stays on (DEBUG off, the same middleware, WhiteNoise's
manifest storage, the cached template loader Django uses with DEBUG off). Changed, because a load
tool on 127.0.0.1 is not a browser behind TLS: no HTTPS redirect or secure-only cookies, and no
second factor (a load tool cannot type a TOTP code). Never used by the product.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-key-not-a-secret-" + "x" * 20)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("MFA_REQUIRED_ROLES", "none")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from kap_clinic.settings import *  # noqa: E402, F403
from kap_clinic.settings import BASE_DIR, TEMPLATES  # noqa: E402

ROOT_URLCONF = "bench.urls"
MFA_ADMIN_REQUIRED = False
STATIC_ROOT = BASE_DIR / "var" / "bench" / "staticfiles"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
