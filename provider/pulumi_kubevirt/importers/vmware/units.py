"""Capacities in every unit form OVF and vSphere use, to exact byte counts and exact Kubernetes quantities.

DSP0243 (OVF) section 9.5 and DSP0004 Annex C: ``ovf:capacityAllocationUnits`` and ``rasd:AllocationUnits``
are programmatic units such as ``byte``, ``byte * 2^20``, ``byte*2^30``, ``byte * 10^3``; older producers
write ``MegaBytes``, ``KiloBytes``, ``GigaBytes``; no unit means bytes. Nothing is rounded: a size that is
not a whole number of bytes is an error, and the quantity is the largest binary suffix that divides it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# The named forms VMware and VirtualBox write; the CIM standard reads them as binary multiples.
NAMED_UNITS: dict[str, int] = {
    "byte": 1,
    "bytes": 1,
    "kilobytes": 2**10,
    "kilobyte": 2**10,
    "kb": 2**10,
    "megabytes": 2**20,
    "megabyte": 2**20,
    "mb": 2**20,
    "gigabytes": 2**30,
    "gigabyte": 2**30,
    "gb": 2**30,
    "terabytes": 2**40,
    "terabyte": 2**40,
    "tb": 2**40,
}
_PROGRAMMATIC = re.compile(
    r"^\s*byte\s*(?:\*\s*(?P<base>\d+)\s*\^\s*(?P<exp>-?\d+)\s*)?(?:\*\s*(?P<mult>\d+)\s*)?$", re.IGNORECASE
)
_SUFFIXES = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


class UnitError(ValueError):
    """An allocation unit this parser does not know, or a size that is not a whole number of bytes."""


def unit_multiplier(unit: str | None) -> int:
    """Bytes per unit for an OVF/CIM allocation unit; ``None`` or empty means bytes."""
    if unit is None or not unit.strip():
        return 1
    named = NAMED_UNITS.get(unit.strip().lower().replace(" ", ""))
    if named is not None:
        return named
    match = _PROGRAMMATIC.match(unit)
    if match is None:
        raise UnitError(f"unknown allocation unit {unit!r}")
    multiplier = int(match["mult"] or 1)
    if match["base"] is not None:
        exponent = int(match["exp"])
        if exponent < 0:
            raise UnitError(f"allocation unit {unit!r} is a fraction of a byte")
        multiplier *= int(match["base"]) ** exponent
    return multiplier


def to_bytes(amount: str | int, unit: str | None) -> int:
    """``amount`` ``unit``s as an exact number of bytes."""
    try:
        value = Decimal(str(amount).strip()) * unit_multiplier(unit)
    except InvalidOperation as error:
        raise UnitError(f"{amount!r} is not a number") from error
    if value != value.to_integral_value() or value < 0:
        raise UnitError(f"{amount} {unit or 'byte'} is not a whole number of bytes")
    return int(value)


def quantity(size_bytes: int) -> str:
    """The exact quantity: ``4294967296`` is ``4Gi``, ``1610612736`` is ``1536Mi``, odd sizes stay bytes."""
    for suffix, factor in _SUFFIXES:
        if size_bytes and size_bytes % factor == 0:
            return f"{size_bytes // factor}{suffix}"
    return str(size_bytes)
