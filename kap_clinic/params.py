"""Query-string parameters, checked before they reach a query.

A query string is typed by anyone: a date of 9999-12-31 overflows the moment a page adds a day
to it, a 30-digit id overflows SQLite's integer, "abc" is no primary key. Pages read their GET
parameters through these helpers: a value that is not usable falls back to the page's default
and the user is told so (a message), instead of a server error.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest

# Dates a clinic page may ask about. Outside this range is a typo or a probe; the bounds keep
# every "day + 1" and "week + 7" well inside Python's and the databases' date types.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
# The largest primary key the databases hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class ClinicDateField(forms.DateField):
    """A date between ``MIN_DATE`` and ``MAX_DATE``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.validators += [
            MinValueValidator(MIN_DATE, message="Enter a date in 1900 or later."),
            MaxValueValidator(MAX_DATE, message="Enter a date in 2100 or earlier."),
        ]


def parse_date(value: str | None) -> date | None:
    """``value`` as an ISO date in range, else None."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if MIN_DATE <= day <= MAX_DATE else None


def parse_id(value: str | None) -> int | None:
    """``value`` as a primary key (1 … 2**63-1), else None."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def query_date(request: HttpRequest, name: str, *, default: date) -> date:
    """The GET parameter ``name`` as a date; an unusable one falls back to ``default`` with a
    message."""
    raw = request.GET.get(name)
    day = parse_date(raw)
    if day is not None:
        return day
    if raw:
        messages.warning(
            request,
            f"“{raw[:40]}” is not a date between {MIN_DATE.year} and {MAX_DATE.year}; "
            f"showing {default.isoformat()} instead.",
        )
    return default


def query_id(request: HttpRequest, name: str, *, say: bool = True) -> int | None:
    """The GET parameter ``name`` as a primary key, or None (absent or unusable). An unusable
    one is said in a message unless ``say`` is off (an htmx partial answers for itself)."""
    raw = request.GET.get(name)
    pk = parse_id(raw)
    if pk is None and raw and say:
        messages.warning(request, f"The {name} given in the address was not understood; ignored.")
    return pk
