"""Post kvplan's Markdown to GitLab: one note per stack on the merge request, one issue per drifted stack.

Each note and issue starts with a hidden marker naming the stack, so the next pipeline finds and updates it
instead of adding another. Standard library only; reads GitLab's predefined CI variables and
KVPLAN_GITLAB_TOKEN (a project access token with the api scope). The plan and drift Markdown never hold a
secret value (kvplan redacts them); the token is only sent in the PRIVATE-TOKEN header.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

NOTE_LIMIT = 1_000_000
"""GitLab refuses longer notes ("Note is too long (maximum is 1000000 characters)"); point at the artifact.
The pipeline has kvplan fold its plan to 990,000 characters: room for the verdict and messages."""
ERRORS_SHOWN = 4_000
"""Characters of kvplan's messages quoted under a failed plan; the job log has them all."""


def _api(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{os.environ['CI_API_V4_URL']}/projects/{os.environ['CI_PROJECT_ID']}{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("PRIVATE-TOKEN", os.environ["KVPLAN_GITLAB_TOKEN"])
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _all(path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        separator = "&" if "?" in path else "?"
        batch = _api("GET", f"{path}{separator}per_page=100&page={page}")
        found += batch
        if len(batch) < 100:
            return found
        page += 1


def merge_request_note(stack: str, plan: Path, errors: Path, exit_code: int) -> None:
    marker = f"<!-- kvplan:stack={stack} -->"
    body = plan.read_text(encoding="utf-8") if plan.exists() else ""
    if exit_code in (1, 3):
        verdict = (
            f"**The disruption gate of stack `{stack}` refused a change (kvplan exit 3).**"
            if exit_code == 3
            else f"**kvplan failed for stack `{stack}` (exit 1).**"
        )
        messages = errors.read_text(encoding="utf-8")[:ERRORS_SHOWN]
        body += f"\n{verdict}\n\n~~~\n{messages}\n~~~\n"
    if len(body) > NOTE_LIMIT:
        body = f"### Plan for stack `{stack}`\n\nThe plan is too long for a note: see the job's artifacts.\n"
    body = f"{marker}\n{body}"
    notes = f"/merge_requests/{os.environ['CI_MERGE_REQUEST_IID']}/notes"
    mine = next((n for n in _all(notes) if str(n.get("body", "")).startswith(marker)), None)
    if mine is None:
        _api("POST", notes, {"body": body})
    else:
        _api("PUT", f"{notes}/{mine['id']}", {"body": body})


def drift_issue(stack: str, report: Path, exit_code: int) -> None:
    marker = f"<!-- kvplan:drift:stack={stack} -->"
    job = os.environ.get("CI_JOB_URL", "")
    body = f"{marker}\n{report.read_text(encoding='utf-8')}\nLast checked by {job}.\n"
    label = urllib.parse.quote("kvplan-drift")
    open_issues = _all(f"/issues?state=opened&labels={label}")
    mine = next((i for i in open_issues if str(i.get("description") or "").startswith(marker)), None)
    if exit_code == 2:
        if mine is None:
            _api(
                "POST",
                "/issues",
                {"title": f"Drift in stack {stack}", "description": body, "labels": "kvplan-drift"},
            )
        else:
            _api("PUT", f"/issues/{mine['iid']}", {"description": body})
    elif mine is not None:
        _api("POST", f"/issues/{mine['iid']}/notes", {"body": f"No drift any more: {job}"})
        _api("PUT", f"/issues/{mine['iid']}", {"state_event": "close"})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    note = sub.add_parser("merge-request-note")
    note.add_argument("--stack", required=True)
    note.add_argument("--plan", type=Path, required=True)
    note.add_argument("--errors", type=Path, required=True)
    note.add_argument("--exit-code", type=int, required=True)
    drift = sub.add_parser("drift-issue")
    drift.add_argument("--stack", required=True)
    drift.add_argument("--report", type=Path, required=True)
    drift.add_argument("--exit-code", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "merge-request-note":
        merge_request_note(args.stack, args.plan, args.errors, args.exit_code)
    else:
        drift_issue(args.stack, args.report, args.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
