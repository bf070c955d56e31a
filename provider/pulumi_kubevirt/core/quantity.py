"""Kubernetes resource quantities (``10Gi``, ``1500m``, ``1e3``), parsed to exact values.

Why: sizes must be compared by value (``1Gi`` equals ``1024Mi``) and user input must be checked against
what the API server accepts (source: k8s.io/apimachinery/pkg/api/resource/quantity.go).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
# The apiserver's own pattern for quantities in CRD schemas (x-kubernetes-int-or-string quantities).
QUANTITY_PATTERN = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)


class QuantityError(ValueError):
    """A string that Kubernetes would not accept as a quantity."""


def parse_quantity(value: str | int | float) -> Decimal:
    """Return the exact value of a quantity; raise QuantityError with a hint when it is not one."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    match = QUANTITY_PATTERN.match(value.strip()) if isinstance(value, str) else None
    if match is None or value != value.strip():
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise QuantityError(f"{value!r} is not a Kubernetes quantity") from exc
    suffix = match.group("suffix") or ""
    if suffix in _BINARY:
        scaled = number * _BINARY[suffix]
    elif suffix in _DECIMAL:
        scaled = number * _DECIMAL[suffix]
    else:
        scaled = number * (Decimal(10) ** int(suffix[1:]))
    return -scaled if match.group("sign") == "-" else scaled


def quantity_or_none(value: object) -> Decimal | None:
    """The value of a quantity, or None for anything Kubernetes would not read as one (absent fields too)."""
    try:
        return parse_quantity(value)  # type: ignore[arg-type]
    except (QuantityError, TypeError):
        return None


def suggest_quantity(value: str) -> str:
    """A fix for common mistakes: ``10 GB`` -> ``10Gi or 10G``, ``512MB`` -> ``512Mi or 512M``."""
    match = re.match(r"^\s*([0-9.]+)\s*([KkMGTPE])(i)?[Bb]?\s*$", value)
    if match:
        number, unit = match.group(1), match.group(2).upper().replace("K", "K")
        binary = "Ki" if unit == "K" else unit + "i"
        decimal = "k" if unit == "K" else unit
        return f"write {number}{binary} or {number}{decimal}"
    return "write a number with an optional suffix such as 512Mi, 10Gi or 2"


def quantities_equal(a: object, b: object) -> bool:
    """Compare two quantities by value; non-quantities compare as they are."""
    try:
        return parse_quantity(a) == parse_quantity(b)  # type: ignore[arg-type]
    except (QuantityError, TypeError):
        return a == b
