"""Quantities of a lot as people read them: mL from the lot's concentration (to 0.01 mL) and
whole vials plus the part vial in mL."""

from __future__ import annotations

from decimal import Decimal

from django import template

from sessions.models import Lot

register = template.Library()


@register.filter
def lot_ml(lot: Lot, mg: Decimal) -> str:
    return f"{lot.ml(mg)}"


@register.filter
def lot_vials(lot: Lot, mg: Decimal) -> str:
    whole, part = lot.vials(mg)
    if part:
        return f"{whole} + {part} mL"
    return f"{whole}"
