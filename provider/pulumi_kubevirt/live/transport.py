"""GET JSON from the API server: raw bytes through the client's connection pool, bounded retries, counted.

Why raw: ``json.loads`` on the response body skips the client's model deserialisation (bench/README.md has the
measured difference) and keeps objects exactly as the API returned them. Why the client's urllib3 pool
directly rather than ``ApiClient.call_api``: the pool's default ``Retry`` silently repeats 429/503 answers and
sleeps for any ``Retry-After``; here every attempt is counted and every wait fits in the read's deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import urllib3

from pulumi_kubevirt.core.errors import Problem, UserError
from pulumi_kubevirt.live.kubeconfig import cluster_display_name

INITIAL_BACKOFF_S = 0.25
MAX_BACKOFF_S = 8.0
MAX_CONNECTION_ATTEMPTS = 3
PER_REQUEST_READ_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class RetryRule:
    status: int
    reason: str


RETRYABLE_STATUSES: tuple[RetryRule, ...] = (
    RetryRule(429, "throttled by API priority and fairness; the server says when to come back (Retry-After)"),
    RetryRule(500, "internal error, often transient (etcd leader change, webhook timeout)"),
    RetryRule(502, "a proxy or load balancer in front of the API server lost its backend"),
    RetryRule(503, "the API server or an aggregated API is starting or overloaded"),
    RetryRule(504, "a proxy in front of the API server timed out"),
)
"""GETs are safe to repeat; these answers say "try again". Source: client-go rest/request.go (checkWait)."""

_RETRYABLE = frozenset(rule.status for rule in RETRYABLE_STATUSES)


class LiveReadError(UserError):
    """Reading the cluster failed in a way the user must fix or retry. The message is safe to print."""

    def __init__(self, title: str, problems: Sequence[Problem]) -> None:
        super().__init__(title, problems)


@dataclass(frozen=True, slots=True)
class Answer:
    """A final (non-retryable) answer: a decoded body for 2xx, else the status and the server's message."""

    status: int
    body: Mapping[str, Any] | None
    message: str


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    path: str
    status: int
    attempts: int
    bytes_received: int
    seconds: float


@dataclass(frozen=True, slots=True)
class ReadStats:
    """What one read cost: logical requests (one per URL), HTTP attempts (with retries), bytes, wall time."""

    requests: int
    attempts: int
    retries: int
    bytes_received: int
    seconds: float
    log: tuple[RequestRecord, ...]

    def paths(self) -> tuple[str, ...]:
        return tuple(sorted(r.path for r in self.log))


class ApiReader:
    """Issues GETs against one API server within one deadline, and remembers every request it made."""

    def __init__(
        self,
        api_client: Any,
        *,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api = api_client
        self._deadline = deadline
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []

    def stats(self, seconds: float) -> ReadStats:
        with self._lock:
            log = tuple(sorted(self._log, key=lambda r: r.path))
        attempts = sum(r.attempts for r in log)
        return ReadStats(
            requests=len(log),
            attempts=attempts,
            retries=attempts - len(log),
            bytes_received=sum(r.bytes_received for r in log),
            seconds=seconds,
            log=log,
        )

    def _remaining(self) -> float:
        return self._deadline - self._clock()

    def get(self, path: str, query: Mapping[str, str] | None = None) -> Answer:
        """GET ``path``; retry throttling, 5xx and lost connections within the deadline; 4xx is an answer."""
        shown = path + ("?" + urlencode(sorted(query.items())) if query else "")
        started = self._clock()
        attempts = 0
        connection_failures = 0
        backoff = INITIAL_BACKOFF_S
        last_status = 0
        last_problem = "no time left to send it"
        while True:
            remaining = self._remaining()
            if remaining <= 0:
                self._record(shown, last_status, attempts, 0, started)
                raise self._gave_up(shown, attempts, started, last_problem)
            attempts += 1
            try:
                status, reason, headers, data = self._send(path, query, remaining)
            except urllib3.exceptions.SSLError:
                self._record(shown, 0, attempts, 0, started)
                raise LiveReadError(
                    "The Kubernetes API server's certificate was not accepted",
                    [
                        Problem(
                            f"GET {shown} on {cluster_display_name(self._api)}",
                            "the TLS handshake failed",
                            "check the certificate-authority of the kubeconfig cluster entry (and the server "
                            "address)",
                            "the server's certificate is not signed by the authority the kubeconfig trusts",
                        )
                    ],
                ) from None
            except (urllib3.exceptions.HTTPError, OSError) as error:
                connection_failures += 1
                last_status = 0
                last_problem = f"the connection failed ({type(error).__name__})"
                if connection_failures >= MAX_CONNECTION_ATTEMPTS:
                    self._record(shown, 0, attempts, 0, started)
                    raise LiveReadError(
                        "Cannot reach the Kubernetes API server",
                        [
                            Problem(
                                f"GET {shown} on {cluster_display_name(self._api)}",
                                f"failed {attempts} times: {last_problem}",
                                "check that the cluster is running and that the kubeconfig context points at "
                                "it",
                            )
                        ],
                    ) from None
                wait = backoff
            else:
                if status not in _RETRYABLE:
                    self._record(shown, status, attempts, len(data), started)
                    return _answer(shown, status, reason, data)
                last_status = status
                last_problem = f"the server answered {status} {reason}".rstrip()
                wait = _retry_after(headers) or backoff
            if wait > self._remaining():
                self._record(shown, last_status, attempts, 0, started)
                raise self._gave_up(shown, attempts, started, last_problem)
            self._sleep(wait)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _send(
        self, path: str, query: Mapping[str, str] | None, remaining: float
    ) -> tuple[int, str, Mapping[str, str], bytes]:
        method, url, headers, _, _ = self._api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=sorted(query.items()) if query else None,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        timeout = min(remaining, PER_REQUEST_READ_TIMEOUT_S)
        response = self._api.rest_client.pool_manager.request(
            method,
            url,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            preload_content=True,
        )
        return int(response.status), str(response.reason or ""), response.headers, bytes(response.data or b"")

    def _record(self, path: str, status: int, attempts: int, size: int, started: float) -> None:
        with self._lock:
            self._log.append(RequestRecord("GET", path, status, attempts, size, self._clock() - started))

    def _gave_up(self, shown: str, attempts: int, started: float, problem: str) -> LiveReadError:
        took = self._clock() - started
        return LiveReadError(
            "The Kubernetes API server did not answer in time",
            [
                Problem(
                    f"GET {shown} on {cluster_display_name(self._api)}",
                    f"{problem}; gave up after {attempts} attempt{'s' if attempts != 1 else ''} over "
                    f"{took:.1f} s because the read's time limit was reached",
                    "wait and try again later, or allow more time (--timeout)",
                    "the server is throttling or unavailable",
                )
            ],
        )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if present and sane."""
    value = headers.get("Retry-After") if headers else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _answer(shown: str, status: int, reason: str, data: bytes) -> Answer:
    if 200 <= status < 300:
        try:
            decoded = json.loads(data)
        except ValueError:
            raise LiveReadError(
                "The Kubernetes API server sent something that is not JSON",
                [
                    Problem(
                        f"GET {shown}",
                        f"answered {status} with a body that is not JSON",
                        "point the kubeconfig at the API server itself, or fix the proxy in between",
                        "something between this machine and the API server (a proxy or a login page) is "
                        "answering instead of it",
                    )
                ],
            ) from None
        if not isinstance(decoded, dict):
            raise LiveReadError(
                "The Kubernetes API server sent an unexpected answer",
                [
                    Problem(
                        f"GET {shown}",
                        f"answered {status} with JSON that is not an object",
                        "check that the kubeconfig's server address is a Kubernetes API server",
                    )
                ],
            )
        return Answer(status, decoded, "")
    message = reason
    try:
        decoded_error = json.loads(data)
    except ValueError:
        decoded_error = None
    if isinstance(decoded_error, dict) and decoded_error.get("message"):
        message = str(decoded_error["message"])
    return Answer(status, None, message)
