"""Helpers of ``scripts/run.sh`` (``make run``): ``python -m app.launch ...``.

ports API_PORT=8000 WEB_PORT=3000
    Exit 1 with one line on stderr naming the variable when a port cannot be
    bound on 127.0.0.1 (taken, or not a port number); exit 0 when all are free.
summary --api URL [--web URL]
    Wait until the API answers ``GET /health`` (and the dashboard answers at
    all), then print one summary: the addresses, where the encryption key is
    (never the key) with its fingerprint, and a reminder to back it up.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
import time
from collections.abc import Sequence

HOST = "127.0.0.1"
POLL_SECONDS = 0.5
DEFAULT_WAIT_SECONDS = 900.0  # a first dashboard build takes minutes on a small machine


# -- ports ------------------------------------------------------------------------


def port_problem(variable: str, value: str) -> str | None:
    """Why ``value`` (the value of ``variable``) cannot be served on, or None."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        return f"{variable}={value!r} is not a port number (1-65535)"
    port = int(value)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers bind: a port left in TIME_WAIT by the last run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                other = port + 1 if port < 65535 else port - 1
                return f"port {port} ({variable}) is in use: stop what uses it, or run with {variable}={other}"
            return f"port {port} ({variable}) cannot be used: {exc.strerror or exc}"
    return None


def check_ports(assignments: Sequence[str]) -> int:
    seen: dict[str, str] = {}
    for assignment in assignments:
        variable, _, value = assignment.partition("=")
        value = value.strip()
        if value in seen:
            print(f"error: {seen[value]} and {variable} are both {value}: give them different ports", file=sys.stderr)
            return 1
        seen[value] = variable
        problem = port_problem(variable, value)
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return 1
    return 0


# -- readiness ----------------------------------------------------------------------


def wait_until_ready(api_url: str, web_url: str | None, *, timeout: float) -> bool:
    """True once the API's ``/health`` answers 200 and the dashboard answers at
    all (its page may redirect to sign-in); False after ``timeout`` seconds."""
    import httpx  # here, not at the top: the port check stays quick

    def answers(client: httpx.Client, url: str, *, healthy: bool) -> bool:
        try:
            response = client.get(url)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 or not healthy

    deadline = time.monotonic() + timeout
    api_up = False
    web_up = web_url is None
    with httpx.Client(timeout=5.0, follow_redirects=False, trust_env=False) as client:
        while time.monotonic() < deadline:
            api_up = api_up or answers(client, f"{api_url}/health", healthy=True)
            web_up = web_up or answers(client, f"{web_url}/", healthy=False)
            if api_up and web_up:
                return True
            time.sleep(POLL_SECONDS)
    return False


# -- the summary --------------------------------------------------------------------


def key_lines() -> list[str]:
    """Where the key is and its fingerprint, from the functions the CLI
    (``check-key``, ``encryption-status``) and the API use: never the key."""
    from app.core import encryption, keys
    from app.core.config import load_settings

    settings = load_settings()
    source = keys.key_source(settings)
    primary = encryption.configured_primary_key(settings)
    if primary is None:  # the API refuses to start without one; say so rather than fail
        return ["Key:        none configured (run: cd backend && .venv/bin/python -m app.cli init)"]
    where = {
        "environment": "the ENCRYPTION_KEY environment variable",
        "env_file": f"ENCRYPTION_KEY in {source.location}",
        "key_file": f"the file {source.location} (ENCRYPTION_KEY_FILE)",
    }.get(source.kind, source.kind)
    return [
        f"Key:        {where}, fingerprint {encryption.fingerprint(primary)}",
        "Backup:     keep a copy of the key apart from the database: without it the stored secrets are lost.",
    ]


def summary(api_url: str, web_url: str | None) -> str:
    lines = ["Ready."]
    if web_url is not None:
        lines.append(f"Dashboard:  {web_url}")
    lines.append(f"API:        {api_url}  (docs: {api_url}/api/docs)")
    lines += key_lines()
    lines.append("Ctrl-C stops both." if web_url is not None else "Ctrl-C stops it.")
    return "\n".join(lines)


def print_summary_when_ready(api_url: str, web_url: str | None, *, timeout: float) -> int:
    if not wait_until_ready(api_url, web_url, timeout=timeout):
        print(f"error: the servers did not answer within {timeout:.0f} s", file=sys.stderr)
        return 1
    print(summary(api_url, web_url), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.launch", description="helpers of scripts/run.sh")
    sub = parser.add_subparsers(dest="command", required=True)
    ports = sub.add_parser("ports", help="exit 1 with one line when a port is taken")
    ports.add_argument("assignments", nargs="+", metavar="VARIABLE=PORT")
    ready = sub.add_parser("summary", help="wait for both servers, then print the summary")
    ready.add_argument("--api", required=True, help="the API's base URL")
    ready.add_argument("--web", help="the dashboard's base URL")
    ready.add_argument("--timeout", type=float, default=DEFAULT_WAIT_SECONDS, help="seconds to wait")
    args = parser.parse_args(argv)
    if args.command == "ports":
        return check_ports(args.assignments)
    return print_summary_when_ready(args.api.rstrip("/"), args.web and args.web.rstrip("/"), timeout=args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
