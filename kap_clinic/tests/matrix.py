"""Role-matrix declarations for the foundation's own URLs (format: matrix_format.md)."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from kap_clinic import roles
from kap_clinic.tests.role_matrix import (
    ANONYMOUS,
    AUTHENTICATED,
    CLINIC_ADMIN,
    CLINICIAN,
    EVERYONE,
    LOGIN,
    NO_ERROR,
    Case,
    Ctx,
    everyone,
    redirect,
)


def totp_device(ctx: Ctx) -> dict[str, Any]:
    device = TOTPDevice.objects.create(user=ctx.personas[CLINICIAN], name="phone")
    return {"pk": device.pk}


# The Django admin: only staff accounts (the clinic admin) get past its own check; everyone else
# is sent to a sign-in page. What the clinic admin then sees depends on model permissions.
ADMIN_ONLY = Case(expect={**everyone(LOGIN), CLINIC_ADMIN: NO_ERROR})

MATRIX = {
    "home": Case(allowed=roles.STAFF),
    # Any signed-in request resets the idle clock; there is nothing to protect here.
    "keepalive": Case(method="post", allowed=AUTHENTICATED),
    "login": Case(allowed=EVERYONE),
    "logout": Case(method="post", expect=everyone(redirect("login"))),
    # Everyone with an account may change their own password, a role or not.
    "password_change": [
        Case(allowed=AUTHENTICATED),
        Case(method="post", allowed=AUTHENTICATED),  # empty form: re-shown with errors
    ],
    "password_change_done": Case(allowed=AUTHENTICATED),
    "my_sessions": [Case(allowed=AUTHENTICATED), Case(method="post", allowed=AUTHENTICATED)],
    # Two-factor enrolment and verification: for anyone with an account.
    "mfa_setup": [Case(allowed=AUTHENTICATED), Case(method="post", allowed=AUTHENTICATED)],
    "mfa_verify": Case(allowed=AUTHENTICATED),  # no device yet: sent on to mfa_setup
    "access_log": [
        Case(allowed={roles.CLINIC_ADMIN}),
        Case(allowed={roles.CLINIC_ADMIN}, query={"patient": "1", "date_from": "2026-01-01"}),
    ],
    "access_log_csv": Case(allowed={roles.CLINIC_ADMIN}, query={"patient": "1"}),
    "admin:*": ADMIN_ONLY,
    "admin:login": Case(allowed=EVERYONE),
    # The admin's own logout is POST-only; a signed-in non-staff member is sent to the index.
    "admin:logout": Case(
        method="post",
        expect={
            **everyone(redirect("admin:index")),
            ANONYMOUS: LOGIN,
            CLINIC_ADMIN: redirect("login"),
        },
    ),
    # django-otp's device pages look the device up with .get(): give them a real one.
    "admin:otp_totp_totpdevice_config": Case(kwargs=totp_device, expect=ADMIN_ONLY.expect),
    "admin:otp_totp_totpdevice_qrcode": Case(kwargs=totp_device, expect=ADMIN_ONLY.expect),
}
