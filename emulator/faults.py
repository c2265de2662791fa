"""Throttling and transient server errors, injected at a seeded rate into the emulator's answers.

AWS throttles busy accounts (EC2 `RequestLimitExceeded`, IAM and ELB `Throttling`,
Route 53 `PriorRequestNotComplete`, S3 `SlowDown`, DynamoDB `ThrottlingException`)
and sometimes answers 500 or 503; every client is expected to retry. moto never
does either. Here, per service, one first attempt in every window of `1/rate`
first attempts (the place in the window drawn from the seed; the first windows are
shorter, RAMP, so that a service called a few dozen times still meets several) is
answered with a fault instead of being run; the SDK's retry of it (the same `amz-sdk-invocation-id`,
`amz-sdk-request: attempt=2`) is run as usual. A fault counts as survived when a
later attempt of the same call got a real answer. Only calls that carry an
invocation ID are faulted, so that every fault's fate is known.

`GET /_emulator/faults` returns the counts: `{"ec2": {"injected": 12, "survived": 11, "unanswered": 1}, ...}`.
"""
from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

REPORT_PATH = "/_emulator/faults"
SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

# Per signing name: the throttling code AWS sends and its HTTP status (default: Throttling, 400;
# ThrottlingException for the JSON protocols). The error body's shape follows the request's protocol.
THROTTLING = {
    "ec2": ("RequestLimitExceeded", 503),
    "route53": ("PriorRequestNotComplete", 400),
    "s3": ("SlowDown", 503),
    "dynamodb": ("com.amazonaws.dynamodb.v20120810#ThrottlingException", 400),
    "tagging": ("ThrottledException", 400),
}
SERVER_ERROR = {"ec2": "InternalError", "s3": "InternalError", "dynamodb": "InternalServerError"}
RAMP = (4, 8, 16)  # the first windows' sizes (at most 1/rate), then 1/rate


def window_of(seen: int, full: int) -> tuple[int, int, int]:
    """(index, first call, size) of the window holding a service's call number `seen` (from 0)."""
    start = 0
    for index, size in enumerate(min(size, full) for size in RAMP):
        if seen < start + size:
            return index, start, size
        start += size
    later = (seen - start) // full
    return len(RAMP) + later, start + later * full, full


@dataclass
class Fault:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_line(self) -> str:
        return {400: "400 Bad Request", 500: "500 Internal Server Error", 503: "503 Service Unavailable"}[self.status]


@dataclass
class Faults:
    """`rate`: the share of first attempts answered with a fault (0 turns faults off)."""

    rate: float = 0.0
    seed: int = 0
    _seen: dict[str, int] = field(default_factory=dict)  # service -> first attempts so far
    _chosen: dict[str, int] = field(default_factory=dict)  # service -> the faulted position in this window
    pending: dict[str, str] = field(default_factory=dict)  # invocation ID -> service, faulted, no answer yet
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, rate: float, seed: int = 0) -> None:
        """Start over at `rate` and `seed`: no call seen, no fault counted."""
        with self._lock:
            self.rate, self.seed = rate, seed
            for record in (self._seen, self._chosen, self.pending, self.counts):
                record.clear()

    def decide(self, environ: dict[str, Any]) -> Fault | None:
        """The fault to answer this request with, if it is one to fault."""
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "attempt=1").split(";")[0].strip()
        match = SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if self.rate <= 0 or not invocation or attempt != "attempt=1" or match is None:
            return None
        service = match.group(1)
        with self._lock:
            seen = self._seen.get(service, 0)
            index, start, size = window_of(seen, max(1, round(1 / self.rate)))
            if seen == start:  # a new window: draw where its fault goes
                self._chosen[service] = random.Random(f"{self.seed}/{service}/{index}").randrange(size)
            self._seen[service] = seen + 1
            if seen - start != self._chosen[service]:
                return None
            self.pending[invocation] = service
            counts = self.counts.setdefault(service, {"injected": 0, "survived": 0})
            counts["injected"] += 1
            server_error = counts["injected"] % 4 == 0  # one fault in four is a 5xx, the rest throttling
        return render(service, server_error, "HTTP_X_AMZ_TARGET" in environ)

    def settle(self, invocation: str | None, status: str) -> None:
        """A real answer to `invocation`: if an earlier attempt of it was faulted, that fault is survived."""
        if invocation is None or status.startswith("5"):
            return
        with self._lock:
            service = self.pending.pop(invocation, None)
            if service is not None:
                self.counts[service]["survived"] += 1

    def report(self) -> bytes:
        """Per service: injected, survived, and unanswered (faulted calls no retry came for, yet)."""
        with self._lock:
            report = {service: {**counts, "unanswered": sum(1 for s in self.pending.values() if s == service)}
                      for service, counts in self.counts.items()}
            return json.dumps(report, sort_keys=True).encode()


def render(service: str, server_error: bool, json_protocol: bool = False) -> Fault:
    """The error answer AWS gives `service`'s clients: throttling, or a transient 500. `json_protocol`:
    the request was AWS JSON (an `X-Amz-Target` header: DynamoDB, KMS, the tagging API)."""
    code, status = THROTTLING.get(service, ("ThrottlingException" if json_protocol else "Throttling", 400))
    message = "Rate exceeded"
    if server_error:
        code = SERVER_ERROR.get(service, "InternalFailure")
        status, message = 500, "We encountered an internal error. Please try again."
    if json_protocol:
        content_type = "application/x-amz-json-1.0" if service == "dynamodb" else "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
        return Fault(status, [("Content-Type", content_type), ("x-amzn-ErrorType", code)], body)
    request = "0" * 8 + "-fa17-4fa1-7fa1-7" + "0" * 11
    if service == "ec2":
        text = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request}</RequestID></Response>")
    elif service == "s3":
        text = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request}</RequestId></Error>"
    else:  # the query and REST-XML protocols: IAM, STS, ELB, Route 53, CloudFront
        text = (f"<ErrorResponse><Error><Type>{'Receiver' if server_error else 'Sender'}</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>{request}</RequestId></ErrorResponse>")
    return Fault(status, [("Content-Type", "text/xml")], text.encode())
