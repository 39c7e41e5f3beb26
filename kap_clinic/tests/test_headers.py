"""Security headers on every page, and no inline script anywhere (strict CSP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
STATIC_DIR = Path(settings.BASE_DIR) / "static"


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "clinician"])
def test_pages_send_a_strict_content_security_policy(who, clinician) -> None:
    client = Client()
    if who == "clinician":
        client.force_login(clinician)
    response = client.get(reverse("login") if who == "anonymous" else reverse("home"))
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert set(policy["img-src"]) == {"'self'", "data:"}  # data: for the MFA QR code


@pytest.mark.django_db
def test_pages_deny_framing_sniffing_and_cross_site_referrers(as_clinician) -> None:
    response = as_clinician.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_error_pages_carry_the_headers_too(as_clinician) -> None:
    response = as_clinician.get("/no-such-page/")
    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SECURE_SSL_REDIRECT=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
@pytest.mark.django_db
def test_production_sends_hsts_redirects_to_https_and_marks_cookies_secure(clinician) -> None:
    client = Client()
    assert client.get(reverse("login"))["Location"].startswith("https://")
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    response = client.post(
        reverse("login"),
        {"username": clinician.username, "password": "correct-horse-battery-staple"},
        secure=True,
    )
    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def project_templates() -> list[Path]:
    found = list(TEMPLATES_DIR.rglob("*.html"))
    for app in ("kap_clinic", "patients", "sessions", "scheduling"):
        found += list((Path(settings.BASE_DIR) / app).rglob("templates/**/*.html"))
    return sorted(found)


@pytest.mark.parametrize(
    "template", project_templates(), ids=lambda p: str(p.relative_to(settings.BASE_DIR))
)
def test_templates_have_no_inline_script_or_event_handlers(template: Path) -> None:
    text = template.read_text()
    # JSON data blocks are not executed, so the CSP allows them.
    scripts = [m for m in INLINE_SCRIPT.findall(text) if "application/json" not in m]
    assert scripts == [], f"inline <script> in {template}: move it to static/<app>/*.js"
    assert EVENT_HANDLER.findall(text) == [], f"on*= attribute in {template}: use data-*"
    assert JS_URL.findall(text) == [], f"javascript: URL in {template}"
    # hx-on attributes are inline code (htmx evaluates them; allowEval is off anyway).
    assert not re.search(r"\bhx-on", text), f"hx-on attribute in {template}: use static JS"


def test_no_static_script_evaluates_strings() -> None:
    # htmx is configured with allowEval false (base.html); our own scripts never eval either.
    own = [p for p in STATIC_DIR.rglob("*.js") if "vendor" not in p.parts]
    assert own
    for script in own:
        text = script.read_text()
        assert not re.search(r"\beval\s*\(|new Function\s*\(", text), script
