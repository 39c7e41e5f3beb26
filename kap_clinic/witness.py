"""A second person's password, given at the chair to witness a controlled-substance entry, is
throttled like sign-in (django-axes, settings ``AXES_*``): after ``WITNESS_FAILURE_LIMIT`` wrong
passwords (5) that witness is locked for ``WITNESS_LOCKOUT`` (15 minutes) from the last failure,
and a correct password does not open the lock early. Without it, the witness field on the waste
form would be a password-guessing oracle for any clinical account.

The count lives in the cache, not in the database: the service that checks the password runs in
a transaction that rolls back when the password is wrong, and it must not roll the count back
with it. Production sets ``REDIS_URL``, so every web process shares the count.

Every failure is logged with user ids only (no names, no patient, never the password).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

WRONG = "The witness's password is not correct."


def _limit() -> int:
    return getattr(settings, "WITNESS_FAILURE_LIMIT", 5)


def _lockout() -> timedelta:
    return getattr(settings, "WITNESS_LOCKOUT", timedelta(minutes=15))


def _key(witness: User) -> str:
    return f"kap:witness-failures:{witness.pk}"


def witness_is_locked(witness: User) -> bool:
    return (cache.get(_key(witness)) or 0) >= _limit()


def witness_verify(*, witness: User, password: str | None, by: User | None = None) -> bool:
    """True when ``password`` is the witness's; otherwise ValidationError, and the failure
    counts towards the witness's lockout. A locked witness is refused without a check."""
    key, seconds = _key(witness), int(_lockout().total_seconds())
    if witness_is_locked(witness):
        logger.warning(
            "witness locked: witness user id=%s, attempted by user id=%s",
            witness.pk,
            getattr(by, "pk", None),
        )
        raise ValidationError(
            f"This witness is locked for {seconds // 60} minutes after {_limit()} wrong "
            "passwords. Ask another witness, or wait.",
            code="witness_locked",
        )
    if witness.check_password(password or ""):
        cache.delete(key)
        return True
    cache.add(key, 0, timeout=seconds)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        failures = 1
    cache.touch(key, timeout=seconds)  # the lockout runs from the last failure, as for sign-in
    logger.warning(
        "witness password failure %s of %s: witness user id=%s, attempted by user id=%s",
        failures,
        _limit(),
        witness.pk,
        getattr(by, "pk", None),
    )
    raise ValidationError(WRONG, code="witness_password")
