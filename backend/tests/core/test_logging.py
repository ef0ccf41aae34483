"""Redaction: secrets never reach a log line, whatever path they take."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet

from app.core import encryption
from app.core.logging import RedactingFilter, redact, register_secret, setup_logging
from tests.conftest import make_settings, signed_in


@pytest.fixture
def stream_logger() -> tuple[logging.Logger, io.StringIO]:
    """A logger whose own handler writes formatted text to a buffer, with the filter."""
    setup_logging("DEBUG")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, buffer
    logger.removeHandler(handler)


def test_registered_secret_masked_in_message_and_args(stream_logger, canary) -> None:
    logger, buffer = stream_logger
    secret = canary("registered")
    register_secret(secret)
    logger.info("connecting with %s", secret)
    logger.debug(f"inline {secret} here")
    out = buffer.getvalue()
    assert secret not in out
    assert out.count("****") >= 2


def test_logger_exception_traceback_masked(stream_logger, canary) -> None:
    logger, buffer = stream_logger
    secret = canary("exc")
    register_secret(secret)
    try:
        raise RuntimeError(f"provider said: bad key {secret}")
    except RuntimeError:
        logger.exception("call failed")
    out = buffer.getvalue()
    assert "Traceback" in out and "RuntimeError" in out
    assert secret not in out


def test_unregistered_secret_in_exception_masked_by_shape(stream_logger) -> None:
    logger, buffer = stream_logger
    key = Fernet.generate_key().decode()
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        logger.exception("boom")
    assert key not in buffer.getvalue()


def test_decrypted_secret_is_registered(stream_logger, canary) -> None:
    logger, buffer = stream_logger
    secret = canary("decrypted")
    encryption.load_keys(make_settings("sqlite://"))
    token = encryption.encrypt(secret, context="cameras.password:9")
    plain = encryption.decrypt(token, context="cameras.password:9")
    logger.warning("oops %s", plain)
    logger.warning("token %s", token)
    out = buffer.getvalue()
    assert secret not in out
    assert token not in out and token[10:] not in out


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("opening rtsp://admin:s3cr3t-fake@192.168.1.5:554/stream", "s3cr3t-fake"),
        ("GET https://hooks.example.test/x?token=tok-fake-123&a=1", "tok-fake-123"),
        ("url https://api.example.test/v1?key=k-fake-999", "k-fake-999"),
        ("login password=pw-fake-42 user=bob", "pw-fake-42"),
        ("client_secret=cs-fake-7", "cs-fake-7"),
        ("webhook https://u:pw-fake-url@example.test/hook", "pw-fake-url"),
    ],
)
def test_url_and_param_credentials(text: str, hidden: str) -> None:
    out = redact(text)
    assert hidden not in out
    assert "****" in out


def test_credential_url_keeps_user_and_host() -> None:
    out = redact("rtsp://admin:hunter2-fake@cam.local:554/live")
    assert out == "rtsp://admin:****@cam.local:554/live"


@pytest.mark.parametrize(
    "text",
    [
        "{'Authorization': 'Bearer tok-fake-abc', 'Accept': 'json'}",
        '{"x-api-key": "ak-fake-abc", "anthropic-version": "2023-06-01"}',
        "[('x-goog-api-key', 'gk-fake-abc')]",
        "Authorization: Basic dXNlcjpwYXNz-fake-abc",
        "headers={'authorization': b'Digest username=\"a\", response=\"fake-abc\"'}",
    ],
)
def test_header_values_masked(text: str) -> None:
    out = redact(text)
    assert "fake-abc" not in out
    assert "****" in out


def test_non_secret_header_kept() -> None:
    out = redact("{'Authorization': 'Bearer tok-fake-abc', 'Accept': 'application/json'}")
    assert "application/json" in out


@pytest.mark.parametrize(
    "key",
    [
        "sk-" + "Fa" * 12 + "KE",
        "sk-ant-api03-" + "fa" * 10,
        "AIza" + "F" * 35,
        "xai-" + "f" * 30,
    ],
)
def test_key_shaped_strings_masked(key: str) -> None:
    assert key not in redact(f"sending {key} now")


def test_fernet_token_masked() -> None:
    token = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    assert token not in redact(f"value {token}")


def test_uvicorn_and_httpx_loggers_redacted(canary) -> None:
    setup_logging("DEBUG")
    secret = canary("uvicorn")
    register_secret(secret)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)  # a handler added later, without our filter
    for name in ("uvicorn.error", "uvicorn.access", "httpx"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        try:
            logger.warning("request with %s and https://x.test/?api_key=abc-fake-1", secret)
        finally:
            logger.removeHandler(handler)
    out = buffer.getvalue()
    assert secret not in out and "abc-fake-1" not in out
    assert out.count("****") >= 6


def test_short_values_not_registered() -> None:
    register_secret("ab")
    assert redact("ab cd") == "ab cd"


def test_500_has_no_exception_text(app, canary) -> None:
    secret = canary("boom")
    register_secret(secret)

    @app.get("/api/v1/_test_boom")
    def boom() -> None:
        raise RuntimeError(f"exploded with {secret}")

    with signed_in(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/_test_boom")
    assert r.status_code == 500
    body = r.json()
    assert body["detail"] == "Internal server error"
    assert body["request_id"]
    assert "exploded" not in r.text and secret not in r.text


def test_uvicorn_access_formatter_still_gets_its_args(canary) -> None:
    """uvicorn's access formatter unpacks record.args itself: redaction keeps them a tuple."""
    from uvicorn.logging import AccessFormatter

    setup_logging("DEBUG")
    secret = canary("access")
    register_secret(secret)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(handler)
    try:
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/x?token={secret}", "1.1", 200)
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/health", "1.1", 200)
    finally:
        logger.removeHandler(handler)
    out = buffer.getvalue()
    assert "Logging error" not in out
    assert secret not in out
    assert '"GET /x?token=**** HTTP/1.1" 200' in out
    assert '"GET /health HTTP/1.1" 200' in out


def test_format_placeholder_next_to_secret_name_still_formats(stream_logger, canary) -> None:
    logger, buffer = stream_logger
    secret = canary("placeholder")
    logger.info("token=%s sent to %s", secret, "host-a")
    out = buffer.getvalue()
    assert secret not in out and "host-a" in out


def test_registered_word_does_not_hide_a_parameter_value() -> None:
    from app.core import logging as app_logging

    register_secret("token")  # a short, word-like secret someone stored
    try:
        out = redact("GET https://hooks.example.test/x?token=tok-fake-456")
        assert "tok-fake-456" not in out
    finally:  # keep the process-wide registry as other tests expect it
        app_logging._secrets.discard("token")
        app_logging._secret_pattern_stale = True
