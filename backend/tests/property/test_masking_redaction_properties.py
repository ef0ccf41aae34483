"""Properties of masking and redaction, over generated input (Hypothesis).

* Masking in responses never reveals more than its rule: a webhook URL shows
  its origin and ``/****`` only, a secret header value ``****``, a camera
  password ``****`` and an ``rtsp_url`` without its credentials, an AI key
  ``****`` plus at most its last four characters (through the API: the
  product's own masking, wherever it lives inside).
* The redaction filter masks a registered secret (held by the process, or in
  flight in a request) inside any surrounding text, in the message, in its
  arguments and in any case, whichever handler receives the record.
* Redaction stays linear on long lines: the time for a line four times as
  long is compared with the time for the line itself, in one run, as a ratio
  (a quadratic pattern gives about 16; the bound is 10). Never an absolute time.

Nothing here opens a connection: rules and cameras point at 127.0.0.1 and are
only stored, never called.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.logging import MASK, fold_case, hold_secret, redact, register_secret, secret_scope
from tests.conftest import bearer_for

COMMON = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Secrets: printable, no '*' (a '*' next to the mask could spell the secret anew), at least 4 characters
# (shorter values are not registered: see MIN_SECRET_LEN).
_secret_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="*")
secrets_ = st.text(_secret_chars, min_size=4, max_size=60)
surroundings = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="*"), max_size=200)
# URL-safe pieces for paths and queries (percent-encoded by the test where needed).
url_tokens = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=6, max_size=40)
header_values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=6, max_size=60)


def _admin(app: Any) -> TestClient:
    """A client signed in as a new admin from an address of its own: secret changes are
    rate-limited per account and per address, and each example makes some (no lifespan:
    the ``client`` fixture runs the app's)."""
    tag = uuid.uuid4()
    address = f"127.{tag.bytes[0]}.{tag.bytes[1]}.{tag.bytes[2]}"
    return TestClient(app, headers=bearer_for(app, username=f"p{tag.hex[:12]}"), client=(address, 50000))


def _assert_masked(secret: str, text: str) -> None:
    assert secret not in text
    assert fold_case(secret) not in fold_case(text)


# -- masking in responses ---------------------------------------------------------------


@COMMON
@given(path=url_tokens, query=url_tokens, header=header_values, port=st.integers(1, 65535))
def test_a_webhook_shows_its_origin_and_nothing_else(
    app: Any, client: Any, path: str, query: str, header: str, port: int
) -> None:
    api = _admin(app)
    marker = uuid.uuid4().hex  # each generated value is made unique, so a hit is this example's own
    path, query, header = path + marker, query + marker, header + marker
    url = f"http://127.0.0.1:{port}/{quote(path, safe='')}?token={quote(query, safe='')}"
    created = api.post(
        "/api/v1/alert-rules",
        json={
            "name": "p",
            "actions": {
                "dashboard_notification": False,
                "webhook": {"url": url, "headers": {"X-Token": header, "Authorization": f"Bearer {header}"}},
            },
        },
    )
    assert created.status_code == 201, created.text
    webhook = created.json()["actions"]["webhook"]
    assert webhook["url"] == f"http://127.0.0.1:{port}/{MASK}"
    assert webhook["headers"] == {"X-Token": MASK, "Authorization": MASK}
    shown = api.get(f"/api/v1/alert-rules/{created.json()['id']}")
    for response in (created, shown):
        assert marker not in response.text
    api.delete(f"/api/v1/alert-rules/{created.json()['id']}")


@COMMON
@given(user=st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=1, max_size=12), password=secrets_)
def test_camera_credentials_never_come_back(app: Any, client: Any, user: str, password: str) -> None:
    api = _admin(app)
    password = password + uuid.uuid4().hex
    url = f"rtsp://{user}:{quote(password, safe='')}@127.0.0.1:8554/stream1"
    created = api.post("/api/v1/cameras", json={"name": "p", "type": "rtsp", "rtsp_url": url})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["password"] == MASK and body["username"] == user
    assert body["rtsp_url"] == "rtsp://127.0.0.1:8554/stream1"
    shown = api.get(f"/api/v1/cameras/{body['id']}")
    for response in (created, shown):
        _assert_masked(password, response.text)
        assert quote(password, safe="") not in response.text
    api.delete(f"/api/v1/cameras/{body['id']}")


@COMMON
@given(
    key=st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="*"), min_size=1, max_size=80
    )
)
def test_an_ai_key_shows_at_most_its_last_four_characters(app: Any, client: Any, key: str) -> None:
    api = _admin(app)
    saved = api.put("/api/v1/settings", json={"ai_api_key_openai": key})
    if saved.status_code == 422:  # a key the API refuses (blank, too long...) is not stored: nothing to mask
        return
    assert saved.status_code == 200, saved.text
    for response in (saved, api.get("/api/v1/settings")):
        shown = response.json()["ai_api_key_openai"]
        assert shown.startswith(MASK)
        revealed = shown[len(MASK) :]
        assert len(revealed) <= 4 and key.strip().endswith(revealed)
        assert len(revealed) < len(key.strip()) / 2 or not revealed  # never half of the key or more


# -- the redaction filter ------------------------------------------------------------------


def _through_a_handler(emit: Callable[[logging.Logger], None]) -> str:
    """What a plain handler of our own writes for records emitted by ``emit``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"proof.redaction.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@FAST
@given(before=surroundings, secret=secrets_, after=surroundings)
def test_a_held_secret_is_masked_in_any_surrounding_text(before: str, secret: str, after: str) -> None:
    hold_secret("proof.property.held", secret)  # one place: each example replaces the last one's value
    try:
        _assert_masked(secret, redact(before + secret + after))
        if secret.isascii():  # a peer or a library may change the case
            _assert_masked(secret, redact(before + secret.upper() + after))
    finally:
        hold_secret("proof.property.held")


@FAST
@given(before=surroundings, secret=secrets_, after=surroundings)
def test_a_held_secret_is_masked_in_every_log_record(before: str, secret: str, after: str) -> None:
    # A marker of this example's own, so the record's fixed text (level names, the
    # traceback) cannot happen to spell the secret.
    secret += uuid.uuid4().hex[:8]
    hold_secret("proof.property.logged", secret)
    try:
        line = before + secret + after

        def emit(log: logging.Logger) -> None:
            log.debug("%s", line)
            log.info(line)
            log.warning("x %r y", (before, secret, after))

        _assert_masked(secret, _through_a_handler(emit))
    finally:
        hold_secret("proof.property.logged")


@FAST
@given(before=surroundings, secret=secrets_, after=surroundings)
def test_an_in_flight_secret_is_masked_while_it_is_handled(before: str, secret: str, after: str) -> None:
    secret += uuid.uuid4().hex[:8]
    with secret_scope():
        register_secret(secret)
        line = before + secret + after
        logged = _through_a_handler(lambda log: log.error("failed: %s", line))
        _assert_masked(secret, logged)
        try:
            raise ValueError(line)
        except ValueError:
            traced = _through_a_handler(lambda log: log.exception("boom"))
        _assert_masked(secret, traced)


# -- linear time -------------------------------------------------------------------------------

SECRET = "fake-linear-secret-0f3c9a"
# Line shapes that make a careless pattern backtrack: many starts for the URL,
# header, key=value and key-shape patterns, and many hits for the secret matcher.
SHAPES: dict[str, Callable[[int], str]] = {
    "plain text": lambda n: "x" * n,
    "scheme-like runs before a URL": lambda n: "a." * (n // 2) + "://u @",
    "a URL that never ends in @": lambda n: "http://u:" + "p" * n + " @",
    "header names, no values": lambda n: "authorization: " * (n // 15),
    "quoted header names, unclosed": lambda n: "'authorization': \"" * (n // 18),
    "key= without values": lambda n: "key=" * (n // 4),
    "key-shaped runs": lambda n: ("A" * 43 + "=") * (n // 44),
    "provider-key prefixes": lambda n: "sk-ant-" * (n // 7),
    "the secret, many times": lambda n: (SECRET + " ") * (n // (len(SECRET) + 1)),
    "user:pass fragments": lambda n: "a:" * (n // 2) + "@",
}


# Timed in this thread's CPU time, not wall time: on a loaded machine (CI runs the
# tests in parallel, beside other work) a block is preempted many times, and wall
# time then measures the other processes (a linear 4x read as 12.8x).
_clock = time.thread_time


def _calls_for(text: str) -> int:
    """How many calls make a timing block of about 20 ms (a line that redacts in
    microseconds is not measured by one call's noise)."""
    started = _clock()
    redact(text)
    return max(1, int(0.02 / max(_clock() - started, 1e-7)))


def _block(text: str, calls: int) -> float:
    started = _clock()
    for _ in range(calls):
        redact(text)
    return (_clock() - started) / calls


def _ratio(short: str, long: str, rounds: int = 5) -> float:
    """Best time of one call on ``long`` over best time on ``short``, the two
    measured in alternating blocks so a busy moment of the machine hits both."""
    calls_short, calls_long = _calls_for(short), _calls_for(long)
    best_short = best_long = float("inf")
    for _ in range(rounds):
        best_short = min(best_short, _block(short, calls_short))
        best_long = min(best_long, _block(long, calls_long))
    return best_long / max(best_short, 1e-9)


def test_redaction_stays_linear_on_long_lines() -> None:
    hold_secret("proof.property.linear", SECRET)
    try:
        slow: list[str] = []
        for name, make in SHAPES.items():
            short, long = make(100_000), make(400_000)
            ratio = _ratio(short, long)
            if ratio > 10:  # a second, longer look before calling it quadratic (a busy machine stalls)
                ratio = _ratio(short, long, rounds=9)
            if ratio > 10:
                slow.append(f"{name}: 4x the length took {ratio:.1f}x the time")
        assert not slow, "redaction is not linear on: " + "; ".join(slow)
    finally:
        hold_secret("proof.property.linear")
