"""``kvplan import``: existing VMs (manifests, or a live cluster) to a stack file or a Python program.

Exit 0 (warnings included: what went to the escape hatch is in the report), 1 on an error (a source the
platform would reject, an unreadable file, a cluster that cannot be read). Never a traceback for a user's
mistake. Secret values are never written anywhere: the commands to set them are printed with values elided.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pulumi_kubevirt.importers.output import report_json, report_markdown, stack_document
from pulumi_kubevirt.importers.pipeline import Imported, import_cluster, import_files
from pulumi_kubevirt.importers.python_program import python_program
from pulumi_kubevirt.importers.report import SourceKind
from pulumi_kubevirt.importers.sources import ImportOptions

EXIT_OK = 0
EXIT_ERROR = 1


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "import",
        help="generate a stack (or program) that describes existing VMs exactly, to adopt them",
        description=(
            "Import VMs with their disks, networks, cloud-init/SSH Secret references and Services from "
            "manifest files (SOURCE...) or from a cluster (--kubeconfig/--context with --namespace)."
        ),
    )
    parser.add_argument(
        "sources", nargs="*", metavar="SOURCE|VM_NAME", help="files; with a cluster, VM names"
    )
    parser.add_argument(
        "--from", dest="source_kind", choices=[k.value for k in SourceKind], help="source kind"
    )
    parser.add_argument(
        "--format", choices=("fleet", "python"), default="fleet", help="output (default fleet)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--report", metavar="FILE", help="field report: Markdown, or JSON when FILE ends in .json"
    )
    parser.add_argument("--kubeconfig", metavar="FILE", help="read VMs from this cluster")
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (reads the cluster)")
    parser.add_argument(
        "-n", "--namespace", metavar="NS", help="namespace for sources that name none; the cluster's"
    )
    parser.add_argument(
        "-l", "--selector", metavar="SELECTOR", help="with a cluster: a label selector for VMs"
    )
    parser.add_argument(
        "--adopt",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="adopt the existing objects on `pulumi up` (default: on when reading a cluster)",
    )
    parser.add_argument(
        "--verify", action="store_true", help="render the result and compare it with the source"
    )
    _vmware_arguments(parser)
    parser.set_defaults(handler=run_import)


# --- VMware sources (OVF/OVA, vSphere JSON, pulumi-vsphere state): options go in ImportOptions.extra ---

VMWARE_FLAGS = (
    ("--network-map", "network_map", "FILE", "map VMware networks/port groups to pod or a Network (YAML)"),
    ("--storage-map", "storage_map", "FILE", "map datastores to storage classes (YAML; '*' for the rest)"),
    ("--disk-url-base", "disk_url_base", "URL", "OVF/OVA: where the VMDKs are served (else upload disks)"),
    ("--vddk-url", "vddk_url", "URL", "vSphere: the vCenter/ESXi SDK URL CDI copies disks from"),
    ("--vddk-secret", "vddk_secret", "NAME", "vSphere: the Secret holding the vCenter user and password"),
    ("--vddk-thumbprint", "vddk_thumbprint", "SHA1", "vSphere: the vCenter certificate thumbprint"),
    ("--vddk-init-image", "vddk_init_image_url", "IMAGE", "vSphere: image with the VDDK library"),
    ("--warm", "warm_snapshot", "SNAPSHOT", "warm migration starting from this vSphere snapshot id"),
)


def _vmware_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configuration", metavar="ID", help="OVF: the deployment option to use instead of the default"
    )
    for flag, dest, metavar, text in VMWARE_FLAGS:
        parser.add_argument(flag, dest=dest, metavar=metavar, help=text)
    parser.add_argument(
        "--first-boot",
        choices=("compatible", "virtio"),
        default="compatible",
        help="VMware: boot on SATA/e1000e (default) or, drivers installed, on virtio",
    )


def _vmware_extra(args: argparse.Namespace) -> dict[str, str]:
    extra = {dest: getattr(args, dest) for _, dest, _, _ in VMWARE_FLAGS if getattr(args, dest, None)}
    extra["first_boot"] = args.first_boot
    return extra


def _fail(message: str) -> int:
    sys.stderr.write(message.rstrip("\n") + "\n")
    return EXIT_ERROR


def _from_cluster(args: argparse.Namespace) -> Imported | str:
    from pulumi_kubevirt.live import KubeConfigError, LiveReadError, load_kube_config
    from pulumi_kubevirt.live.kubeconfig import cluster_display_name
    from pulumi_kubevirt.live.snapshot import list_namespace

    if not args.namespace:
        return "kvplan import from a cluster needs --namespace NS (one LIST per kind in that namespace)."
    if args.sources and args.selector:
        return "Name VMs or give -l SELECTOR, not both."
    try:
        api = load_kube_config(args.kubeconfig, args.context)
        objects, _requests = list_namespace(api, args.namespace, vm_selector=args.selector)
    except (KubeConfigError, LiveReadError) as error:
        return str(error)
    wanted = set(args.sources)
    if wanted:
        found = {(o.get("metadata") or {}).get("name") for o in objects if o.get("kind") == "VirtualMachine"}
        missing = sorted(wanted - found)
        if missing:
            return f"No VirtualMachine {', '.join(missing)} in namespace {args.namespace}."
        objects = [
            o
            for o in objects
            if o.get("kind") != "VirtualMachine" or (o.get("metadata") or {}).get("name") in wanted
        ]
    objects = _only_used(objects)
    options = ImportOptions(namespace=args.namespace, adopt=True if args.adopt is None else args.adopt)
    return import_cluster(objects, f"cluster:{cluster_display_name(api)}", options)


def _only_used(objects: list[Any]) -> list[Any]:
    """The VMs and what they use (disks, networks, Services selecting them): not the whole namespace."""
    vms = [o for o in objects if o.get("kind") == "VirtualMachine"]
    claims: set[str] = set()
    nads: set[str] = set()
    labels: list[dict[str, Any]] = []
    for vm in vms:
        template = (vm.get("spec") or {}).get("template") or {}
        for volume in (template.get("spec") or {}).get("volumes") or []:
            claims.add((volume.get("dataVolume") or {}).get("name", ""))
            claims.add((volume.get("persistentVolumeClaim") or {}).get("claimName", ""))
        for network in (template.get("spec") or {}).get("networks") or []:
            nads.add(str((network.get("multus") or {}).get("networkName", "")).rpartition("/")[2])
        labels.append((template.get("metadata") or {}).get("labels") or {})

    def used(obj: Any) -> bool:
        kind, name = obj.get("kind"), (obj.get("metadata") or {}).get("name")
        if kind == "VirtualMachine":
            return True
        if kind in ("DataVolume", "PersistentVolumeClaim"):
            return name in claims
        if kind == "NetworkAttachmentDefinition":
            return name in nads
        selector = (obj.get("spec") or {}).get("selector") or {}
        return bool(selector) and any(all(lab.get(k) == v for k, v in selector.items()) for lab in labels)

    return [o for o in objects if used(o)]


def run_import(args: argparse.Namespace) -> int:
    try:
        return _run_import(args)
    except Exception as error:  # a bug of ours, not the user's mistake: still no traceback, but say so
        return _fail(
            f"kvplan import failed on an input it does not handle ({type(error).__name__}: {error}). "
            "Nothing was written. Please report this with the source that caused it."
        )


def _run_import(args: argparse.Namespace) -> int:
    cluster = args.kubeconfig is not None or args.context is not None
    if cluster:
        outcome = _from_cluster(args)
        if isinstance(outcome, str):
            return _fail(outcome)
        imported = outcome
    else:
        if not args.sources:
            return _fail(
                "Name the files to import, or read a cluster with --kubeconfig/--context and --namespace."
            )
        forced = SourceKind(args.source_kind) if args.source_kind else None
        options = ImportOptions(
            namespace=args.namespace,
            configuration=args.configuration,
            adopt=bool(args.adopt),
            extra=_vmware_extra(args),
        )
        imported = import_files([Path(p) for p in args.sources], forced, options)
    result = imported.result
    if args.report:
        text = report_json(result) if args.report.endswith(".json") else report_markdown(result)
        Path(args.report).write_text(text, encoding="utf-8")
    if result.problems or imported.fleet is None:
        lines = [f"Nothing was written: the import found {len(result.problems)} problem(s):"]
        lines += [f"  {p.line()}" for p in result.problems]
        return _fail("\n".join(lines))
    if args.format == "fleet":
        output = stack_document(result)
    else:
        output = python_program(imported.fleet, result.secrets)
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    fleet = result.fleet
    summary = ", ".join(f"{len(fleet.get(k) or {})} {k}" for k in ("vms", "disks", "networks"))
    patched = sum(1 for r in result.records if ".patch." in r.target)
    sys.stderr.write(
        f"Imported {summary}; {len(result.records)} fields reported, {patched} kept in a patch.\n"
    )
    for secret in result.secrets:
        sys.stderr.write(f"Set before `pulumi up`: {secret.command()}\n")
    if args.verify:
        from pulumi_kubevirt.importers.verify import verify

        differences = verify(
            imported.objects, imported.fleet, result.records, default_namespace=args.namespace or "default"
        )
        if differences:
            lines = [f"--verify: {len(differences)} difference(s) the report does not explain:"]
            lines += [f"  {d.line()}" for d in differences]
            return _fail("\n".join(lines))
        sys.stderr.write("--verify: every source field comes back the same or is explained in the report.\n")
    return EXIT_OK
