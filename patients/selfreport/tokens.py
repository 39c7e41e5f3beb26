"""Signed, single-use, expiring tokens for the patient's self-report links.

A token is ``django.core.signing`` over the link's id and a random nonce kept on the row, so an
altered token fails the signature, a token for a link that was replaced fails the nonce, and the
row says whether it expired or was used. Tokens carry no personal data.
"""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.utils import timezone

from patients.selfreport.models import SelfReportLink

SALT = "patients.self-report-link"


class LinkError(Exception):
    """The link is altered, expired or used; nothing was stored."""


ALTERED = "This link is not valid. Please use the link exactly as it was sent, or call the clinic."
EXPIRED = "This link has expired. Please call the clinic for a new one."
USED = "This link has already been used. Thank you — your answers reached the clinic."


def make_token(link: SelfReportLink) -> str:
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=SALT, compress=True)


def link_for_token(
    token: str, *, now: datetime | None = None, allow_used: bool = False
) -> SelfReportLink:
    """The usable link ``token`` names, or LinkError with what to tell the patient."""
    try:
        data = signing.loads(token, salt=SALT)
        pk, nonce = int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise LinkError(ALTERED) from error
    link = (
        SelfReportLink.objects.select_related("patient", "safety_plan")
        .filter(pk=pk, nonce=nonce)
        .first()
    )
    if link is None:
        raise LinkError(ALTERED)
    if link.used_at is not None and not allow_used:
        raise LinkError(USED)
    if link.expires_at <= (now or timezone.now()):
        raise LinkError(EXPIRED)
    return link
