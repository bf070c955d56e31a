"""``kvplan``: render, validate, plan, drift and show, for review and drift checks in CI.

Exit codes: 0 fine, 1 error (bad input, a bad command line, unreachable cluster), 2 changes or drift (plan
with --detailed-exitcode, drift), 3 the disruption gate refused a change (the stack's kubevirt:disruption, or
--fail-on). Every user's mistake is a ``UserError``, printed in the one error shape (``core.errors``) on
stderr, never as a traceback; a bad command line too (exit 1, not argparse's 2, which means "changes" here).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from pulumi_kubevirt.cli import importing as import_commands
from pulumi_kubevirt.cli import plan as plan_commands
from pulumi_kubevirt.cli import render as render_commands
from pulumi_kubevirt.core.errors import UserError, user_error
from pulumi_kubevirt.plan.report.github import error_commands

EXIT_ERROR = 1


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors raised as a ``UserError`` (exit 1) instead of printed with exit 2."""

    def error(self, message: str) -> NoReturn:
        raise user_error(
            "Invalid command line",
            self.prog,
            message,
            f"see {self.prog} --help",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    args = argparse.Namespace()
    try:
        args = parser.parse_args(argv)
        code: int = args.handler(args)
    except UserError as error:
        sys.stderr.write(f"{error}\n")
        if plan_commands.annotating(args):
            sys.stderr.writelines(line + "\n" for line in error_commands(error.title, error.problems))
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
