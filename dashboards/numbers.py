"""Numbers written as the SQL's ``fmt_num`` writes them, so that a figure a table prints
from Python and a sentence built in SQL beside it agree.

``fmt_num`` rounds a decimal half away from zero (78.25 -> 78.3); Python's format rounds the
binary double half to even (78.25 -> 78.2), and the PDF showed both on one page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def setting_percent(share: float) -> str:
    """A configured share as a percent with every digit it was set with (0.125 -> '12.5%',
    0.1 -> '10%'): a setting rounded in print reads as another setting."""
    percent = (Decimal(repr(float(share))) * 100).normalize()
    return f"{percent:f}%"


def one_decimal(value: float) -> str:
    """``value`` with one decimal, halves away from zero (as ``fmt_num(x, 1)``)."""
    exact = Decimal(repr(float(value))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    rounded = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(rounded.copy_abs() if rounded.is_zero() else rounded)  # '0.0', not '-0.0'
