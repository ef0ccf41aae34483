"""A real HTTP server on 127.0.0.1 that records every request it receives.

It stands in for Home Assistant, Slack, ntfy... in tests: it records each
request's method, path, headers and body, and can be programmed to answer
with errors, delays or redirects.

In a test (a background thread, ephemeral port)::

    from tests.fakes.webhook_receiver import run_receiver

    with run_receiver() as rx:
        url = rx.url + "/hook"            # http://127.0.0.1:<port>/hook
        rx.fail_next(2, status=500)        # the next two requests get 500
        rx.delay = 0.5                     # answer every request after 0.5 s
        ...
        rx.wait_for(3, timeout=10)         # block until 3 requests arrived
        rx.echo("authorization", form="credentials", status=401)  # answer what it was sent
        rx.requests[-1].headers["authorization"], rx.requests[-1].json()

From another process (e.g. the dashboard's end-to-end tests)::

    python -m tests.fakes.webhook_receiver --port 0      # (run in backend/)

prints ``listening on http://127.0.0.1:<port>`` on its first line and serves
until interrupted. Control endpoints (never recorded):

* ``GET  /__receiver/requests`` → ``[{"method", "path", "headers": {..}, "body"}]``
* ``POST /__receiver/reset`` → forget requests and programmed answers
* ``POST /__receiver/program`` with JSON ``{"fail_next": 2, "status": 500,
  "delay": 0.0, "default_status": 200, "body": "ok"}``, or ``{"echo":
  {"header": "authorization", "form": "credentials", "status": 401}}``

Echo mode (:meth:`WebhookReceiver.echo`) plays a receiver that repeats what it
was sent, as careless ones do: every answer is ``invalid credential: <text>``
where the text comes from one request header (or ``"query"``: the query
values of the request path) in one ``form``:

* ``as-sent``: the value as received;
* ``credentials``: without its auth scheme (``Bearer abc`` → ``abc``);
* ``basic``: the base64 of a Basic header, as sent (``dXNlcjpwYXNz``);
* ``cookie-values``: the values of ``name=value`` pairs, names dropped;
* ``upper``: the value upper-cased;
* ``percent``: the value percent-encoded.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

CONTROL_PREFIX = "/__receiver/"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()


ECHO_FORMS = ("as-sent", "credentials", "basic", "cookie-values", "upper", "percent")


@dataclass(frozen=True)
class Echo:
    header: str  # a header name (any case), or "query"
    form: str = "as-sent"
    status: int = 200

    def answer(self, request: RecordedRequest) -> Answer:
        if self.header == "query":
            value = " ".join(v for _, v in parse_qsl(urlsplit(request.path).query))
        else:
            value = request.headers.get(self.header.lower(), "")
        if self.form in ("credentials", "basic"):
            value = value.split(" ", 1)[-1].strip()
        elif self.form == "cookie-values":
            value = " ".join(p.split("=", 1)[-1].strip() for p in value.split(";") if "=" in p)
        elif self.form == "upper":
            value = value.upper()
        elif self.form == "percent":
            value = quote(value, safe="")
        return Answer(status=self.status, body=f"invalid credential: {value}".encode())


@dataclass
class RecordedRequest:
    method: str
    path: str
    header_list: list[tuple[str, str]]
    body: bytes
    received_at: float = field(default_factory=time.time)

    @property
    def headers(self) -> dict[str, str]:
        """Header names lower-cased (the last value wins for repeated names)."""
        return {name.lower(): value for name, value in self.header_list}

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "received_at": self.received_at,
        }


class WebhookReceiver:
    """The recording server. Use :func:`run_receiver` to start one in a thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._queued: list[Answer] = []
        self.default = Answer()
        self.echoing: Echo | None = None
        self.delay = 0.0
        self.record_bodies = True
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests handled at the same time
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.startswith(CONTROL_PREFIX):
                    status, payload = receiver._control(self.command, self.path, body)
                    self._send(Answer(status=status, body=payload, headers=(("Content-Type", "application/json"),)))
                    return
                answer = receiver._record(RecordedRequest(self.command, self.path, list(self.headers.items()), body))
                try:
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    self._send(answer)
                finally:
                    receiver._finished()

            def _send(self, answer: Answer) -> None:
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    # -- state -------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def fail_next(self, count: int, *, status: int = 500, body: bytes | str = b"error") -> None:
        """Answer the next ``count`` requests with ``status``."""
        raw = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._queued.extend(Answer(status=status, body=raw) for _ in range(count))

    def queue_answer(self, status: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> None:
        """Answer the next request with exactly this (e.g. a redirect)."""
        raw = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._queued.append(Answer(status=status, body=raw, headers=tuple((headers or {}).items())))

    def respond_with(self, status: int = 200, body: bytes | str = b"ok") -> None:
        """The answer used when nothing is queued."""
        self.default = Answer(status=status, body=body.encode() if isinstance(body, str) else body)

    def echo(self, header: str, *, form: str = "as-sent", status: int = 200) -> None:
        """Answer every request (when nothing is queued) with ``invalid credential: <text>``,
        the text taken from ``header`` (or ``"query"``) in ``form`` (see the module doc)."""
        if form not in ECHO_FORMS:
            raise ValueError(f"form must be one of {ECHO_FORMS}")
        self.echoing = Echo(header=header, form=form, status=status)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._queued.clear()
            self.max_in_flight = self.in_flight
        self.default = Answer()
        self.echoing = None
        self.delay = 0.0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests were received; fail on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} webhook request(s), got {len(self._requests)}")
                self._lock.wait(remaining)
            return list(self._requests)

    def _finished(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _record(self, request: RecordedRequest) -> Answer:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if not self.record_bodies:
                request.body = b""
            self._requests.append(request)
            if self._queued:
                answer = self._queued.pop(0)
            elif self.echoing is not None:
                answer = self.echoing.answer(request)
            else:
                answer = self.default
            self._lock.notify_all()
            return answer

    def _control(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        action = path[len(CONTROL_PREFIX) :].split("?", 1)[0]
        if action == "requests" and method == "GET":
            return 200, json.dumps([r.as_dict() for r in self.requests]).encode()
        if action == "reset" and method == "POST":
            self.reset()
            return 200, b'{"ok": true}'
        if action == "program" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                return 400, b'{"detail": "invalid JSON"}'
            if "default_status" in spec or "body" in spec:
                self.respond_with(int(spec.get("default_status", 200)), str(spec.get("body", "ok")))
            if "delay" in spec:
                self.delay = float(spec["delay"])
            if isinstance(spec.get("echo"), dict):
                echo = spec["echo"]
                try:
                    self.echo(
                        str(echo["header"]), form=str(echo.get("form", "as-sent")), status=int(echo.get("status", 200))
                    )
                except (KeyError, ValueError):
                    return 400, b'{"detail": "echo needs a header and a known form"}'
            if spec.get("fail_next"):
                self.fail_next(int(spec["fail_next"]), status=int(spec.get("status", 500)))
            return 200, b'{"ok": true}'
        return 404, b'{"detail": "unknown control endpoint"}'

    # -- life cycle ----------------------------------------------------------

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def run_receiver(port: int = 0) -> Iterator[WebhookReceiver]:
    """A receiver serving on 127.0.0.1 in a background thread (port 0: ephemeral)."""
    receiver = WebhookReceiver(port=port).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A webhook receiver that records requests (for tests).")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--no-bodies", action="store_true", help="do not keep request bodies (benchmarks)")
    args = parser.parse_args(argv)
    receiver = WebhookReceiver(port=args.port)
    receiver.record_bodies = not args.no_bodies
    print(f"listening on {receiver.url}", flush=True)
    try:
        receiver._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver._server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
