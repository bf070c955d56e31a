"""``kvplan render`` and ``kvplan validate``: what a program would apply, and whether the API would accept it.

Both run the program under Pulumi's mock runtime (no CLI, backend or cluster). Output never carries a secret.
Exit codes: 0 fine, 1 an error or an invalid object; messages go to stderr in the one error shape
(``core.errors``), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pulumi_kubevirt.core.errors import UserError, user_error

EXIT_OK = 0
EXIT_ERROR = 1


def register(sub: Any) -> None:
    """Add the render and validate subcommands."""
    render = sub.add_parser(
        "render",
        help="print the Kubernetes objects a Pulumi program would apply, secrets redacted",
        description="Run PROGRAM_DIR for STACK under Pulumi's mock runtime and print its objects as YAML.",
    )
    _add_program_arguments(render)
    render.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write the YAML to FILE, not stdout"
    )
    render.set_defaults(handler=run_render)

    validate = sub.add_parser(
        "validate",
        help="render a program and check every object against the upstream KubeVirt/CDI/Multus schemas",
        description="Exit 0 when every object is valid, 1 with every problem listed otherwise.",
    )
    _add_program_arguments(validate)
    validate.set_defaults(handler=run_validate)


def _add_program_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program_dir", metavar="PROGRAM_DIR", type=Path, help="directory holding Pulumi.yaml")
    parser.add_argument("-s", "--stack", required=True, help="stack name: reads Pulumi.<STACK>.yaml")


def run_render(args: argparse.Namespace) -> int:
    from pulumi_kubevirt.program.desired import desired_state_of_stack

    text = desired_state_of_stack(args.program_dir, args.stack).to_yaml()
    if args.output is None:
        return _write_stdout(text)
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise user_error(
            "Cannot write the output",
            f"-o {args.output}",
            error.strerror or str(error),
            "choose a writable path",
        ) from None
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    from pulumi_kubevirt.program.desired import desired_state_of_stack
    from pulumi_kubevirt.spec.upstream import validate_against_upstream

    result = desired_state_of_stack(args.program_dir, args.stack)
    # The redacted form is validated so that no problem message can quote a secret value.
    shown = result.redacted()
    problems = [problem for manifest in shown for problem in validate_against_upstream(manifest)]
    count = len(shown)
    if problems:
        title = f"Stack {args.stack}: some of its {count} objects are not valid against the upstream schemas"
        raise UserError(title, problems)
    sys.stdout.write(f"Stack {args.stack}: all {count} objects are valid against the upstream schemas.\n")
    return EXIT_OK


def _write_stdout(text: str) -> int:
    """Write to stdout; a reader that stops early (``| head``) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's documented recipe: point stdout at devnull so the interpreter's final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK
