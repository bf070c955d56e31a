"""What ``pulumi up`` sends, without the Pulumi CLI: render a stack and server-side apply every object.

    python apply_stack.py PROGRAM_DIR STACK KUBECONFIG

Used by ``scripts/installed-check`` against the dev cluster (copied next to the user's project, run by the
installed package's Python). It applies as a ``pulumi-kubernetes-*`` field manager, forced, like
pulumi-kubernetes does, with the real secret values (the dev stack has no ``secure:`` ones); Namespaces first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kubernetes import config

from pulumi_kubevirt.live.kinds import object_path
from pulumi_kubevirt.program.desired import desired_state_of_stack

FIELD_MANAGER = "pulumi-kubernetes-installed-check"


def main(argv: list[str]) -> int:
    program_dir, stack, kubeconfig = argv
    manifests = desired_state_of_stack(Path(program_dir), stack).manifests
    ordered = sorted(manifests, key=lambda manifest: manifest["kind"] != "Namespace")
    client = config.new_client_from_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    with client:
        for manifest in ordered:
            method, url, headers, body, post = client.param_serialize(
                method="PATCH",
                resource_path=object_path(manifest),
                query_params=[("fieldManager", FIELD_MANAGER), ("force", "true")],
                header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
                body=json.dumps(manifest),
                auth_settings=["BearerToken"],
            )
            response = client.call_api(method, url, headers, body, post)
            response.read()
            if response.status not in (200, 201):
                print(f"apply of {object_path(manifest)} answered {response.status}", file=sys.stderr)
                return 1
    print(f"applied {len(ordered)} objects of stack {stack}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
