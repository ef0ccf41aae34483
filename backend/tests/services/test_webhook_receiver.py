"""The fake webhook receiver itself: the dashboard's end-to-end tests run it
as a separate process and drive it through its control endpoints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.fakes.webhook_receiver import run_receiver

BACKEND = Path(__file__).resolve().parents[2]


def test_command_line_receiver_records_and_is_programmable() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.webhook_receiver", "--port", "0"],
        cwd=BACKEND,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        base = line.removeprefix("listening on ")
        with httpx.Client(base_url=base, trust_env=False, timeout=5) as client:
            assert client.post("/__receiver/program", json={"fail_next": 2, "status": 503}).status_code == 200
            codes = [client.post("/hook", json={"n": i}, headers={"X-Test": "yes"}).status_code for i in range(3)]
            assert codes == [503, 503, 200]
            recorded = client.get("/__receiver/requests").json()
            assert [r["path"] for r in recorded] == ["/hook"] * 3  # control calls are not recorded
            assert recorded[0]["headers"]["x-test"] == "yes"
            assert recorded[2]["body"] == '{"n":2}'
            assert client.post("/__receiver/reset").status_code == 200
            assert client.get("/__receiver/requests").json() == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_in_thread_receiver_answers_as_programmed() -> None:
    with run_receiver() as rx, httpx.Client(trust_env=False, timeout=5) as client:
        rx.queue_answer(302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
        rx.respond_with(201, "created")
        first = client.post(rx.url + "/a", content=b"one")
        second = client.post(rx.url + "/b", content=b"two")
        assert (first.status_code, first.headers["location"]) == (302, "http://127.0.0.1:9/elsewhere")
        assert (second.status_code, second.text) == (201, "created")
        assert [(r.method, r.path, r.body) for r in rx.wait_for(2)] == [("POST", "/a", b"one"), ("POST", "/b", b"two")]
