"""``kvplan render`` and ``kvplan validate`` (owned by the components/render work)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the render and validate subcommands."""
    del sub


def _unused(args: argparse.Namespace) -> int:  # placeholder removed when the commands land
    return 1
