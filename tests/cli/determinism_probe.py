"""Print, as one JSON object, every output the determinism test compares across processes.

Run by ``test_determinism.py`` once per ``PYTHONHASHSEED``: compiled manifests of the golden fleets,
``kvplan render`` of the stacks and examples, and the plan of a fixed desired and live state as JSON and
Markdown. Each value is the exact text a user or CI would get.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from tests.unit.plan.test_render import review_plan  # noqa: E402

from pulumi_kubevirt.cli import main as kvplan  # noqa: E402
from pulumi_kubevirt.compile import compile_fleet  # noqa: E402
from pulumi_kubevirt.compile.emit import dump_yaml  # noqa: E402
from pulumi_kubevirt.plan.report.json_codec import plan_to_json  # noqa: E402
from pulumi_kubevirt.plan.report.markdown import render_markdown  # noqa: E402
from pulumi_kubevirt.spec import StackContext  # noqa: E402
from pulumi_kubevirt.spec.fleet import load_fleet  # noqa: E402

COMPILE_CASES = REPO / "tests" / "golden" / "compile"
RENDER_TARGETS: dict[str, tuple[Path, str]] = {
    "stack-dev": (REPO, "dev"),
    "stack-staging": (REPO, "staging"),
    "stack-prod": (REPO, "prod"),
    "example-linux-cloud-init": (REPO / "examples" / "linux-cloud-init", "dev"),
    "example-vlan-bridge-data-disk": (REPO / "examples" / "vlan-bridge-data-disk", "dev"),
    "example-windows-uefi-tpm": (REPO / "examples" / "windows-uefi-tpm", "dev"),
}


def compiled(case: Path) -> str:
    """The manifests with their real (unredacted) Secret data: key order inside Secrets counts too."""
    config = yaml.safe_load((case / "fleet.yaml").read_text(encoding="utf-8"))
    return dump_yaml(compile_fleet(load_fleet(config), StackContext(project="shop", stack="prod")))


def rendered(program_dir: Path, stack: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = kvplan(["render", str(program_dir), "--stack", stack])
    if code != 0:
        raise SystemExit(f"kvplan render {program_dir} --stack {stack} exited {code}")
    return out.getvalue()


def outputs() -> dict[str, str]:
    found: dict[str, Callable[[], str]] = {
        f"compile/{case.name}": partial(compiled, case)
        for case in sorted(COMPILE_CASES.iterdir())
        if (case / "fleet.yaml").is_file()
    }
    for name, (program_dir, stack) in RENDER_TARGETS.items():
        found[f"render/{name}"] = partial(rendered, program_dir, stack)
    found["plan/review.json"] = lambda: json.dumps(plan_to_json(review_plan()), indent=2, sort_keys=True)
    found["plan/review.md"] = lambda: render_markdown(review_plan())
    return {name: produce() for name, produce in found.items()}


if __name__ == "__main__":
    # The hash of a str is what PYTHONHASHSEED changes: the test checks the processes really differed.
    json.dump({"hash": str(hash("pulumi-kubevirt")), "outputs": outputs()}, sys.stdout)
