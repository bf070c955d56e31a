"""The guide's mapping table is the one the code applies (so the docs stay true)."""

from __future__ import annotations

from pulumi_kubevirt.importers.vmware import mapping_table_markdown

from .conftest import REPO


def test_the_guide_shows_the_mapping_table_the_code_applies() -> None:
    guide = (REPO / "docs" / "migrate-from-vmware.md").read_text(encoding="utf-8")
    assert mapping_table_markdown() in guide
