"""Capacities: every unit form of the same size gives the same bytes and the same exact quantity."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_kubevirt.core.quantity import parse_quantity
from pulumi_kubevirt.importers.vmware.ovf import parse_ovf
from pulumi_kubevirt.importers.vmware.units import UnitError, quantity, to_bytes

from .conftest import CORPUS

MIB = 2**20
WIN19 = (CORPUS / "vsphere-win2019-efi-secureboot-vtpm.ovf").read_text(encoding="utf-8")


def unit_forms(size: int) -> list[tuple[str, str | None]]:
    """``(amount, unit)`` spellings of ``size`` bytes that OVF producers write."""
    forms: list[tuple[str, str | None]] = [(str(size), None), (str(size), "byte")]
    for exponent, names in ((10, ("KiloBytes",)), (20, ("MegaBytes", "MB")), (30, ("GigaBytes",))):
        if size % 2**exponent == 0:
            amount = str(size // 2**exponent)
            forms += [(amount, f"byte * 2^{exponent}"), (amount, f"byte*2^{exponent}")]
            forms += [(amount, name) for name in names]
    if size % 1000 == 0:
        forms.append((str(size // 1000), "byte * 10^3"))
    return forms


sizes = st.one_of(
    st.integers(min_value=1, max_value=2**16).map(lambda n: n * MIB),
    st.integers(min_value=1, max_value=2**12).map(lambda n: n * 2**30),
    st.integers(min_value=1, max_value=10**13),
)


@given(sizes)
def test_every_unit_form_gives_the_same_bytes_and_quantity(size: int) -> None:
    results = {
        (to_bytes(amount, unit), quantity(to_bytes(amount, unit))) for amount, unit in unit_forms(size)
    }
    assert results == {(size, quantity(size))}
    assert parse_quantity(quantity(size)) == Decimal(size)


@given(st.integers(min_value=1, max_value=2**14).map(lambda n: n * MIB))
def test_a_descriptor_in_any_unit_form_gives_the_same_disk_size(size: int) -> None:
    sizes_seen = set()
    for amount, unit in unit_forms(size):
        unit_attr = f' ovf:capacityAllocationUnits="{unit}"' if unit else ""
        text = re.sub(
            r'ovf:capacityAllocationUnits="byte" (.*?)ovf:capacity="94371840"',
            rf'{unit_attr.strip()} \1ovf:capacity="{amount}"',
            WIN19,
        )
        [vm] = parse_ovf(text, "win19.ovf")
        sizes_seen.add(vm.disks[0].capacity_bytes)
    assert sizes_seen == {size}


@pytest.mark.parametrize(
    ("amount", "unit", "error"),
    [
        pytest.param("1", "byte * 2^-1", "fraction", id="negative-exponent"),
        pytest.param("1.5", "byte", "whole number", id="half-a-byte"),
        pytest.param("8", "furlongs", "unknown allocation unit", id="unknown-unit"),
        pytest.param("${disk.size}", "byte", "not a number", id="ovf-property-reference"),
    ],
)
def test_sizes_that_are_not_whole_bytes_are_errors(amount: str, unit: str, error: str) -> None:
    with pytest.raises(UnitError, match=error):
        to_bytes(amount, unit)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (2**30, "1Gi"),
        (1536 * MIB, "1536Mi"),
        (94371840, "90Mi"),
        (1000, "1000"),
        (2**40 + 2**20, "1048577Mi"),
    ],
    ids=["1Gi", "1536Mi", "90Mi", "odd-bytes", "not-rounded-to-Ti"],
)
def test_quantity_is_exact(size: int, expected: str) -> None:
    assert quantity(size) == expected
