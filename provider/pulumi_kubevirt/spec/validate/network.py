"""Checks of one Network (a Multus NetworkAttachmentDefinition): what the CNI plugins refuse in its config.

Rows ``cni-*``, ``whereabouts-range`` and ``sriov-vlan-range`` of the rule table.
"""

from __future__ import annotations

import re

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec.model import IpamType, NetworkArgs, NetworkType
from pulumi_kubevirt.spec.validate.common import (
    annotation_problems,
    cidr_problems,
    ip_problems,
    label_problems,
    name_problems,
)

MAX_VLAN = 4094
MIN_MTU = 576
MAX_MTU = 65535
# Linux IFNAMSIZ is 16 bytes with the terminating NUL (include/uapi/linux/if.h); dev_valid_name in
# net/core/dev.c also refuses '/', ':', whitespace, "." and "..".
MAX_INTERFACE_NAME = 15
_BAD_INTERFACE_CHARACTER = re.compile(r"[/:\s]")


def interface_name_problems(value: object, path: str, what: str) -> list[Problem]:
    """A Linux interface name, as the bridge plugin creates and the macvlan plugin looks up."""
    if not isinstance(value, str) or not value:
        return [Problem(path, f"{what} is empty", "name the interface on the nodes, for example br1")]
    if (
        len(value.encode()) > MAX_INTERFACE_NAME
        or _BAD_INTERFACE_CHARACTER.search(value)
        or value in (".", "..")
    ):
        return [
            Problem(
                path,
                f"{what} {value!r} is not a Linux interface name "
                "(at most 15 characters, without '/', ':' or spaces)",
                "use the name the interface has on the nodes, for example br1 or eth1",
            )
        ]
    return []


def validate_network(args: NetworkArgs, path: str) -> list[Problem]:
    """Check one Network (a Multus NetworkAttachmentDefinition)."""
    problems = name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    problems += name_problems(args.name, paths.join(path, "name"), "network name")
    problems += label_problems(args.labels, paths.join(path, "labels"))
    problems += annotation_problems(args.annotations, paths.join(path, "annotations"))
    kind = args.type

    def only_for(field_name: str, value: object, *types: NetworkType) -> None:
        if value is not None and kind not in types:
            allowed = " or ".join(t.value for t in types)
            problems.append(
                Problem(
                    paths.join(path, field_name),
                    f"{field_name} applies only to {allowed} networks, and this one is {kind.value}",
                    f"remove {field_name} or change type",
                )
            )

    only_for("bridge", args.bridge, NetworkType.BRIDGE)
    only_for("macvlan_master", args.macvlan_master, NetworkType.MACVLAN)
    only_for("macvlan_mode", args.macvlan_mode, NetworkType.MACVLAN)
    only_for("sriov_resource_name", args.sriov_resource_name, NetworkType.SRIOV)
    only_for("ovn_physical_network", args.ovn_physical_network, NetworkType.OVN_LOCALNET)
    only_for("mac_spoof_check", args.mac_spoof_check, NetworkType.BRIDGE, NetworkType.SRIOV)
    only_for("vlan", args.vlan, NetworkType.BRIDGE, NetworkType.SRIOV, NetworkType.OVN_LOCALNET)
    only_for("mtu", args.mtu, NetworkType.BRIDGE, NetworkType.MACVLAN, NetworkType.OVN_LOCALNET)
    if kind is NetworkType.BRIDGE:
        if not args.bridge:
            problems.append(
                Problem(
                    paths.join(path, "bridge"),
                    "a bridge network needs the name of the Linux bridge on the nodes",
                    "set bridge, for example bridge: br1",
                )
            )
        else:
            problems += interface_name_problems(args.bridge, paths.join(path, "bridge"), "bridge")
    if kind is NetworkType.MACVLAN and args.macvlan_master is not None:
        problems += interface_name_problems(
            args.macvlan_master, paths.join(path, "macvlan_master"), "macvlan master"
        )
    if kind is NetworkType.SRIOV and not args.sriov_resource_name:
        problems.append(
            Problem(
                paths.join(path, "sriov_resource_name"),
                "an SR-IOV network needs the device plugin resource that provides its virtual functions",
                "set sriov_resource_name, for example intel.com/sriov_netdevice",
            )
        )
    # Bridge and SR-IOV CNI take VLAN IDs 0-4094, 0 meaning untagged (bridge.go loadNetConf, sriov LoadConf).
    if args.vlan is not None and not (
        isinstance(args.vlan, int) and not isinstance(args.vlan, bool) and 0 <= args.vlan <= MAX_VLAN
    ):
        problems.append(
            Problem(paths.join(path, "vlan"), f"VLAN {args.vlan!r} is out of range", "use 0 to 4094")
        )
    if args.mtu is not None and not (
        isinstance(args.mtu, int) and not isinstance(args.mtu, bool) and MIN_MTU <= args.mtu <= MAX_MTU
    ):
        problems.append(
            Problem(paths.join(path, "mtu"), f"MTU {args.mtu!r} is out of range", "use 576 to 65535")
        )
    problems += ipam_problems(args, paths.join(path, "ipam"))
    return problems


def ipam_problems(args: NetworkArgs, path: str) -> list[Problem]:
    """Static IPAM (plugins/ipam/static LoadIPAMConfig) and whereabouts (pkg/config LoadIPAMConfig)."""
    ipam = args.ipam
    problems: list[Problem] = []
    if ipam.type is not IpamType.STATIC and (ipam.addresses or ipam.routes or ipam.gateway):
        problems.append(
            Problem(
                path,
                "addresses, routes and gateway apply only to static IPAM",
                "set type: static or drop them",
            )
        )
    if ipam.type is not IpamType.WHEREABOUTS and (ipam.range or ipam.exclude):
        problems.append(
            Problem(
                path, "range and exclude apply only to whereabouts IPAM", "set type: whereabouts or drop them"
            )
        )
    if args.type is NetworkType.OVN_LOCALNET and ipam.type in (IpamType.STATIC, IpamType.DHCP):
        problems.append(
            Problem(
                paths.join(path, "type"),
                f"OVN localnet networks do not take {ipam.type.value} IPAM",
                "use type: none, or type: whereabouts with range (compiled to OVN subnets)",
            )
        )
    if ipam.type is IpamType.STATIC:
        if not ipam.addresses:
            problems.append(
                Problem(
                    paths.join(path, "addresses"), "static IPAM needs at least one address", "add 10.0.0.5/24"
                )
            )
        for index, address in enumerate(ipam.addresses):
            problems += cidr_problems(address, paths.join(path, "addresses", index), host=True)
        for index, route in enumerate(ipam.routes):
            problems += cidr_problems(route.dst, paths.join(path, "routes", index, "dst"), host=False)
            if route.gw is not None:
                problems += ip_problems(route.gw, paths.join(path, "routes", index, "gw"))
        if ipam.gateway is not None:
            problems += ip_problems(ipam.gateway, paths.join(path, "gateway"))
    if ipam.type is IpamType.WHEREABOUTS:
        problems += _whereabouts_problems(args, path)
    return problems


def _whereabouts_problems(args: NetworkArgs, path: str) -> list[Problem]:
    ipam = args.ipam
    if not ipam.range:
        return [Problem(paths.join(path, "range"), "whereabouts needs a range", "add 10.0.0.0/24")]
    problems = cidr_problems(ipam.range, paths.join(path, "range"), host=False)
    for index, excluded in enumerate(ipam.exclude):
        problems += cidr_problems(excluded, paths.join(path, "exclude", index), host=False)
    return problems
