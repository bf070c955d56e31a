"""``kvplan``: render, validate, plan, drift and show, for review and drift checks in CI.

Exit codes: 0 fine, 1 error (bad input, unreachable cluster), 2 changes or drift (plan with
--detailed-exitcode, drift), 3 a --fail-on gate tripped. A user's mistake is printed as a message, never
as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pulumi_kubevirt.cli import importing as import_commands
from pulumi_kubevirt.cli import plan as plan_commands
from pulumi_kubevirt.cli import render as render_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kvplan",
        description="Render, validate and plan KubeVirt virtual machines managed with pulumi-kubevirt.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    render_commands.register(sub)
    plan_commands.register(sub)
    import_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
