"""Figures rounded half away from zero, as the README quotes them.

Python's round() and format() round the binary double to even (12.45 -> 12.4, 216.5 -> 216),
so a README figure rounded by hand and the bench's own tables disagreed in the last digit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float, digits: int) -> float:
    """``value`` to ``digits`` decimals, halves away from zero."""
    return float(_quantized(value, digits))


def fixed(value: float, digits: int) -> str:
    """``value`` written with ``digits`` decimals, halves away from zero."""
    return f"{_quantized(value, digits):f}"


def _quantized(value: float, digits: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
