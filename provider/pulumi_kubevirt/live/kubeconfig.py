"""Find and load Kubernetes credentials the way kubectl does, with errors a user can act on.

Order: ``--kubeconfig`` (that file only), else ``KUBECONFIG`` (a list; the first file to define a cluster,
user, context or ``current-context`` wins; missing files are skipped), else ``~/.kube/config``, else the pod's
service account. Errors never show a token or file contents.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from pulumi_kubevirt.core.errors import Problem, UserError

IN_CLUSTER_HOST_VARIABLE = "KUBERNETES_SERVICE_HOST"


class KubeConfigError(UserError):
    """The Kubernetes configuration cannot be found or used. The message is for the user, safe to print."""

    def __init__(self, title: str, where: str, message: str, fix: str, why: str = "") -> None:
        super().__init__(title, [Problem(where, message, fix, why)])


class KubeApiClient(k8s_client.ApiClient):  # type: ignore[misc]
    """An ``ApiClient`` that remembers which context (or in-cluster account) it came from, for display."""

    context_name: str = ""


def skips_tls_verification(api_client: Any) -> bool:
    """Whether the cluster entry sets ``insecure-skip-tls-verify`` (the client's ``verify_ssl`` is off)."""
    return not bool(getattr(api_client.configuration, "verify_ssl", True))


def insecure_notice(api_client: Any) -> str:
    """One sentence for a context that skips TLS verification (empty otherwise), said once per read.

    urllib3 would otherwise warn on every request (``InsecureRequestWarning``); ``load_kube_config`` silences
    that warning for such a context, so this sentence is the only place the user hears about it.
    """
    if not skips_tls_verification(api_client):
        return ""
    return (
        f"The kubeconfig cluster of {cluster_display_name(api_client)} sets insecure-skip-tls-verify: the "
        "API server's certificate is not checked, so anyone on the path can read and answer these requests; "
        "set certificate-authority (or certificate-authority-data) on that cluster entry instead."
    )


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Where the configuration comes from: kubeconfig files (in order) or the in-cluster service account."""

    files: tuple[Path, ...]
    in_cluster: bool
    described: str


def resolve_config_source(kubeconfig: str | None, environ: Mapping[str, str] | None = None) -> ConfigSource:
    """Which files kubectl would read, without reading them."""
    env = os.environ if environ is None else environ
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise KubeConfigError(
                "Kubeconfig not found",
                f"--kubeconfig {path}",
                "the file does not exist or is not a file",
                "pass the path of an existing kubeconfig, or leave --kubeconfig out to use KUBECONFIG or "
                "~/.kube/config",
            )
        return ConfigSource((path,), False, f"--kubeconfig {path}")
    listed = env.get("KUBECONFIG", "")
    if listed:
        entries = [Path(p).expanduser() for p in listed.split(os.pathsep) if p]
        existing = tuple(p for p in dict.fromkeys(entries) if p.is_file())
        if not existing:
            raise KubeConfigError(
                "Kubeconfig not found",
                "KUBECONFIG",
                "it lists " + ", ".join(str(p) for p in entries) + " but none of these files exists",
                "fix KUBECONFIG, or pass --kubeconfig PATH",
            )
        return ConfigSource(existing, False, "KUBECONFIG " + os.pathsep.join(str(p) for p in existing))
    default = Path(env.get("HOME", str(Path.home()))) / ".kube" / "config"
    if default.is_file():
        return ConfigSource((default,), False, str(default))
    if env.get(IN_CLUSTER_HOST_VARIABLE):
        return ConfigSource((), True, "the pod's service account")
    raise KubeConfigError(
        "No Kubernetes configuration found",
        "",
        f"--kubeconfig was not given, KUBECONFIG is not set, {default} does not exist, and this is not a pod "
        f"({IN_CLUSTER_HOST_VARIABLE} is not set)",
        "pass --kubeconfig PATH or set KUBECONFIG to the kubeconfig of the cluster to plan against",
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise KubeConfigError(
            "Kubeconfig unreadable",
            str(path),
            f"the file cannot be read: {reason}",
            "make it readable, or point --kubeconfig at another file",
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KubeConfigError(
            "Kubeconfig is not valid YAML",
            str(path),
            f"the file has a syntax error{where}",
            "fix the file or point --kubeconfig at another one",
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise KubeConfigError(
            "Kubeconfig is not a mapping",
            str(path),
            "the file does not hold a kubeconfig (kind: Config)",
            "point --kubeconfig at a kubeconfig file",
        )
    return loaded


def _named(entries: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(entries, list):
        return {}
    return {str(e["name"]): e for e in entries if isinstance(e, Mapping) and "name" in e}


@dataclass(frozen=True, slots=True)
class _Merged:
    current_context: str
    contexts: dict[str, Mapping[str, Any]]


def _merge(files: tuple[Path, ...]) -> _Merged:
    """kubectl's merge: the first file to define a context (or ``current-context``) wins."""
    current = ""
    contexts: dict[str, Mapping[str, Any]] = {}
    for path in files:
        document = _read_yaml(path)
        if not current and document.get("current-context"):
            current = str(document["current-context"])
        for name, entry in _named(document.get("contexts")).items():
            contexts.setdefault(name, entry)
    return _Merged(current, contexts)


def _server_host(server: str) -> str:
    parts = urlsplit(server)
    return parts.netloc or server


def load_kube_config(kubeconfig: str | None, context: str | None) -> KubeApiClient:
    """An API client for the chosen context, found like kubectl finds it. Raises ``KubeConfigError``."""
    source = resolve_config_source(kubeconfig)
    configuration = k8s_client.Configuration()
    if source.in_cluster:
        if context:
            raise KubeConfigError(
                "Context not available in a pod",
                f"--context {context}",
                "no kubeconfig was found and the in-cluster service account has no contexts",
                "pass --kubeconfig as well, or drop --context",
            )
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except k8s_config.ConfigException as error:
            raise KubeConfigError(
                "In-cluster configuration unusable",
                "",
                f"the pod's service account could not be loaded: {error}",
                "mount a service account token, or pass --kubeconfig PATH",
            ) from None
        api = KubeApiClient(configuration=configuration)
        api.context_name = _server_host(str(configuration.host))
        return api

    merged = _merge(source.files)
    chosen = context or merged.current_context
    if not chosen:
        raise KubeConfigError(
            "No Kubernetes context chosen",
            source.described,
            "it sets no current-context",
            "pass --context NAME"
            + (f" (one of: {', '.join(sorted(merged.contexts))})" if merged.contexts else ""),
        )
    if chosen not in merged.contexts:
        known = ", ".join(sorted(merged.contexts)) or "none"
        how = "--context" if context else "current-context"
        raise KubeConfigError(
            "Kubernetes context not found",
            f"{how} {chosen}",
            f"the context {chosen!r} is not defined in {source.described}",
            f"pass --context with one of the contexts defined there: {known}",
        )
    try:
        k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=os.pathsep.join(str(p) for p in source.files),
            context=chosen,
            client_configuration=configuration,
            persist_config=False,
        )
    except k8s_config.ConfigException as error:
        raise KubeConfigError(
            "Kubeconfig context unusable",
            f"context {chosen}",
            f"the context in {source.described} cannot be loaded: {error}",
            "check its cluster and user entries",
        ) from None
    except (OSError, ValueError) as error:
        raise KubeConfigError(
            "Kubeconfig context unusable",
            f"context {chosen}",
            f"the context in {source.described} refers to credentials that cannot be read "
            f"({type(error).__name__})",
            "check the certificate and key paths of its user and cluster",
        ) from None
    api = KubeApiClient(configuration=configuration)
    api.context_name = chosen
    if skips_tls_verification(api):
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    return api


def cluster_display_name(api_client: Any) -> str:
    """The context name when known, else the API server's host."""
    name = getattr(api_client, "context_name", "")
    if name:
        return str(name)
    return _server_host(str(api_client.configuration.host))
