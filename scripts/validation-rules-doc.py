"""Write docs/validation-rules.md from the rule table (pulumi_kubevirt.spec.validate.rules)."""

from __future__ import annotations

from pathlib import Path

from pulumi_kubevirt.spec.validate.rules import rules_markdown

TARGET = Path(__file__).resolve().parent.parent / "docs" / "validation-rules.md"

if __name__ == "__main__":
    TARGET.write_text(rules_markdown(), encoding="utf-8")
    print(f"wrote {TARGET}")
