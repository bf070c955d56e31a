"""Data files an installed distribution reads at run time, shipped inside its package under ``data/``.

Why: a user's ``pip install`` has no repository and no ``../shared`` beside it, so the JSON Schemas of the
fleet config and the strict upstream schemas of the kinds we emit travel in the wheel (the dev cluster's CRDs
in its own wheel), read with ``importlib.resources``. ``scripts/package_data.py`` generates them from the
repository's ``schemas/`` and the upstream bundle; a missing one means a broken install, said in one message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from pulumi_kubevirt.core.errors import Problem, UserError

DATA_DIR = "data"


class PackageDataMissingError(UserError):
    """A data file of an installed package is missing or unreadable: the install is incomplete."""

    def __init__(self, distribution: str, relative: str, purpose: str, detail: str) -> None:
        self.relative = relative
        problem = Problem(
            relative,
            f"cannot be read ({detail})",
            f"reinstall the package (pip install --force-reinstall {distribution}); in a checkout of the "
            "repository, run `python scripts/package_data.py write` to regenerate it",
            why=f"it ships inside the package and {purpose}",
        )
        super().__init__(f"A data file of {distribution} is missing", [problem])


@dataclass(frozen=True, slots=True)
class PackageData:
    """The ``data/`` folder of one import package, and the distribution to name when a file is missing."""

    package: str
    distribution: str

    def file(self, relative: str) -> Traversable:
        """``data/<relative>`` (``/``-separated), whether it exists or not."""
        node = resources.files(self.package).joinpath(DATA_DIR)
        for part in relative.split("/"):
            node = node.joinpath(part)
        return node

    def names(self, relative_dir: str, suffix: str, purpose: str) -> list[str]:
        """The sorted names of the files ending in ``suffix`` in ``data/<relative_dir>``; none is an error."""
        folder = self.file(relative_dir)
        found = (
            sorted(item.name for item in folder.iterdir() if item.name.endswith(suffix))
            if (folder.is_dir())
            else []
        )
        if not found:
            raise PackageDataMissingError(
                self.distribution, f"{DATA_DIR}/{relative_dir}/*{suffix}", purpose, "no such files"
            )
        return found

    def read_bytes(self, relative: str, purpose: str) -> bytes:
        """The bytes of ``data/<relative>``; ``purpose`` says what it is for, in the error if missing."""
        try:
            return self.file(relative).read_bytes()
        except OSError as error:
            detail = error.strerror or type(error).__name__
            raise PackageDataMissingError(
                self.distribution, f"{DATA_DIR}/{relative}", purpose, detail
            ) from None

    def read_json(self, relative: str, purpose: str) -> Any:
        """``data/<relative>`` parsed as JSON."""
        data = self.read_bytes(relative, purpose)
        try:
            return json.loads(data)
        except ValueError as error:
            raise PackageDataMissingError(
                self.distribution, f"{DATA_DIR}/{relative}", purpose, f"not valid JSON: {error}"
            ) from None


PRODUCT_DATA = PackageData("pulumi_kubevirt", "pulumi-kubevirt")
