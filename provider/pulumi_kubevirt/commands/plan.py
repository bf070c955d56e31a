"""``kvplan plan``, ``kvplan drift`` and ``kvplan show`` (owned by the plan work)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the plan, drift and show subcommands."""
    del sub
