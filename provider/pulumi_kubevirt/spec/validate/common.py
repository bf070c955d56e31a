"""Checks every resource shares: Kubernetes names, labels, annotations, quantities, ports, addresses.

Rows ``k8s-name-dns-label``, ``k8s-object-name-subdomain``, ``k8s-label-key``, ``k8s-label-value``,
``k8s-annotations-size`` and ``kv-quantity`` of the rule table (``rules.py``).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.labels import (
    COMPONENT_KEY,
    COMPONENT_KIND_KEY,
    MANAGED_BY_KEY,
    PROJECT_KEY,
    STACK_KEY,
)
from pulumi_kubevirt.core.quantity import QuantityError, parse_quantity, suggest_quantity

# RFC 1123 label: namespaces, VM names (label values and hostnames), disk/NIC/volume names.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# RFC 1035 label: Service names must start with a letter (k8s.io/apimachinery validation.IsDNS1035Label).
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# IANA service name (IsValidPortName): lowercase alnum and '-', a letter, no '--', at most 15 characters.
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_LABEL_VALUE = 63
MAX_SUBDOMAIN = 253
MAX_IANA_SVC_NAME = 15
# k8s.io/apimachinery pkg/api/validation/objectmeta.go TotalAnnotationSizeLimitB.
MAX_ANNOTATIONS_BYTES = 256 * 1024

VM_LABEL_KEY = "pulumi-kubevirt/vm"
RESERVED_LABEL_KEYS = frozenset(
    {MANAGED_BY_KEY, PROJECT_KEY, STACK_KEY, COMPONENT_KEY, COMPONENT_KIND_KEY, VM_LABEL_KEY}
)


def name_problems(value: object, path: str, what: str, *, dns1035: bool = False) -> list[Problem]:
    """RFC 1123 (or 1035) label: lowercase letters, digits and '-', at most 63 characters."""
    pattern = DNS_1035_LABEL if dns1035 else DNS_LABEL
    if not isinstance(value, str) or not value:
        return [Problem(path, f"{what} is empty", "give it a name such as web-1")]
    problems: list[Problem] = []
    if len(value) > MAX_LABEL_VALUE:
        problems.append(
            Problem(
                path,
                f"{what} {value!r} is {len(value)} characters long, more than the 63 Kubernetes allows here",
                "shorten it to 63 characters or fewer",
            )
        )
    if not pattern.match(value):
        start = (
            "start with a lowercase letter" if dns1035 else "start and end with a lowercase letter or digit"
        )
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "web-1"
        if dns1035 and not suggestion[0].isalpha():
            suggestion = "vm-" + suggestion
        problems.append(
            Problem(
                path,
                f"{what} {value!r} is not a valid Kubernetes name "
                f"(lowercase letters, digits and '-' only, {start})",
                f"write {suggestion[:MAX_LABEL_VALUE]}",
            )
        )
    return problems


def subdomain_problems(value: object, path: str, what: str) -> list[Problem]:
    """DNS subdomain: the name of an object another object refers to."""
    if isinstance(value, str) and len(value) <= MAX_SUBDOMAIN and DNS_SUBDOMAIN.match(value):
        return []
    return [
        Problem(
            path,
            f"{what} {value!r} is not a valid Kubernetes object name",
            "use lowercase letters, digits, '-' and '.', at most 253 characters",
        )
    ]


def quantity_or_problems(value: object, path: str) -> tuple[Decimal | None, list[Problem]]:
    """The parsed quantity, or the problem of a value that is not one."""
    try:
        return parse_quantity(value), []  # type: ignore[arg-type]
    except (QuantityError, TypeError):
        text = value if isinstance(value, str) else repr(value)
        return None, [Problem(path, f'"{text}" is not a Kubernetes quantity', suggest_quantity(str(text)))]


def quantity_problems(value: object, path: str, *, positive: bool = True) -> list[Problem]:
    amount, problems = quantity_or_problems(value, path)
    if amount is not None and positive and amount <= 0:
        return [Problem(path, f'"{value}" must be greater than zero', "write a positive size such as 10Gi")]
    return problems


def key_problems(key: str, path: str) -> list[Problem]:
    """Label and annotation keys: a qualified name with an optional DNS-subdomain prefix."""
    prefix, _, name = key.rpartition("/") if "/" in key else ("", "", key)
    valid = (
        bool(name)
        and len(name) <= MAX_LABEL_VALUE
        and QUALIFIED_NAME.match(name) is not None
        and (not prefix or (len(prefix) <= MAX_SUBDOMAIN and DNS_SUBDOMAIN.match(prefix) is not None))
    )
    if valid:
        return []
    return [
        Problem(
            path,
            f"{key!r} is not a valid label or annotation key",
            "write an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'",
        )
    ]


def label_problems(labels: Mapping[str, str], path: str, *, allow_reserved: bool = False) -> list[Problem]:
    """Label keys are qualified names with an optional DNS prefix; values are at most 63 characters."""
    problems: list[Problem] = []
    for key, value in labels.items():
        item = paths.join(path, key)
        problems.extend(key_problems(key, item))
        if not allow_reserved and key in RESERVED_LABEL_KEYS:
            problems.append(
                Problem(item, f"label {key!r} is set by pulumi-kubevirt itself", "remove it from your labels")
            )
        if not isinstance(value, str) or len(value) > MAX_LABEL_VALUE or not LABEL_VALUE.match(value):
            problems.append(
                Problem(
                    item,
                    f"{value!r} is not a valid label value",
                    "use at most 63 letters, digits, '-', '_' or '.', "
                    "starting and ending with a letter or digit",
                )
            )
    return problems


def annotation_problems(annotations: Mapping[str, str], path: str) -> list[Problem]:
    """Keys are qualified names, values strings, and all of them together at most 256 KiB."""
    problems: list[Problem] = []
    total = 0
    for key, value in annotations.items():
        item = paths.join(path, key)
        problems.extend(key_problems(key, item))
        if not isinstance(value, str):
            problems.append(Problem(item, "annotation values must be strings", f'quote it: "{value}"'))
            continue
        total += len(key.encode()) + len(value.encode())
    if total > MAX_ANNOTATIONS_BYTES:
        problems.append(
            Problem(
                path,
                f"the annotations add up to {total} bytes, more than the 262144 (256 KiB) Kubernetes allows",
                "move large values into a ConfigMap or Secret",
            )
        )
    return problems


def port_name_problems(name: object, path: str) -> list[Problem]:
    """IANA service name, as Kubernetes (Service ports) and KubeVirt (forwarded ports) require."""
    if (
        isinstance(name, str)
        and len(name) <= MAX_IANA_SVC_NAME
        and IANA_SVC_NAME.match(name)
        and re.search("[a-z]", name)
        and "--" not in name
    ):
        return []
    return [
        Problem(
            path,
            f"port name {name!r} is not a valid service port name",
            "use at most 15 lowercase letters, digits and '-', with at least one letter, like http",
        )
    ]


def duplicates(names: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def port_problems(port: object, path: str, low: int = 1, high: int = 65535) -> list[Problem]:
    if port is None or (isinstance(port, int) and not isinstance(port, bool) and low <= port <= high):
        return []
    return [Problem(path, f"port {port!r} is out of range", f"use a number from {low} to {high}")]


def cidr_problems(value: object, path: str, *, host: bool) -> list[Problem]:
    example = "10.0.0.5/24" if host else "10.0.0.0/24"
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        if host:
            ipaddress.ip_interface(value)
        else:
            ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [Problem(path, f"{value!r} is not an address in CIDR notation", f"write it like {example}")]
    if "/" not in value:
        return [Problem(path, f"{value!r} has no prefix length", f"write it with one, like {value}/24")]
    return []


def ip_problems(value: object, path: str) -> list[Problem]:
    try:
        ipaddress.ip_address(value)  # type: ignore[arg-type]
    except ValueError:
        return [Problem(path, f"{value!r} is not an IP address", "write it like 10.0.0.1")]
    return []
