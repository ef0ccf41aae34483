"""Logging set-up and the redaction that keeps secrets out of every log line.

Redaction happens in two places that share one function, :func:`redact`:

* a log-record factory, so every record is redacted the moment it is created,
  whichever handler (ours, uvicorn's, pytest's) later receives it;
* :class:`RedactingFilter` on every handler we know of, for records made by a
  factory that another library installed after ours.

What is masked: every plaintext secret the process has received or decrypted
(:func:`register_secret`), credentials in URLs (``rtsp://user:****@``) and in
``key=``/``token=``/``password=``/``secret=`` query values, the values of
``Authorization``, ``x-api-key`` and ``x-goog-api-key`` headers, and strings
shaped like provider keys, Fernet keys and Fernet tokens. Exception text and
tracebacks are redacted too.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from typing import Any

MASK = "****"
_MIN_SECRET_LEN = 4

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_pattern: re.Pattern[str] | None = None
_secret_pattern_stale = False

_HEADER_NAMES = r"(?:proxy-)?authorization|x-api-key|x-goog-api-key|api-key|cookie|set-cookie|x-auth-token"
_PARAM_NAMES = (
    r"api[_-]?key|key|access[_-]?token|refresh[_-]?token|token|password|passwd|pwd|"
    r"secret|client[_-]?secret|sig|signature|auth"
)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # credentials in a URL: scheme://user:password@host
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/@:'\"]*:)[^\s@/'\"]+(@)"), r"\1" + MASK + r"\2"),
    # quoted header pairs, as in dict or tuple reprs: 'Authorization': 'Bearer x'
    (
        re.compile(r"""(?i)((['"])(?:""" + _HEADER_NAMES + r""")\2\s*[:,]\s*b?(['"]))(.*?)(\3)"""),
        r"\1" + MASK + r"\5",
    ),
    # header lines: Authorization: Bearer x
    (re.compile(r"(?i)(\b(?:" + _HEADER_NAMES + r")\s*:\s*)(?!\*\*\*\*)[^\r\n]+"), r"\1" + MASK),
    # key=value in query strings, forms and log text
    (
        re.compile(r"(?i)(\b(?:" + _PARAM_NAMES + r")=)(?!\*\*\*\*)[^\s&#'\",;)]+"),
        r"\1" + MASK,
    ),
    # encrypted values and Fernet tokens
    (re.compile(r"encrypted:[A-Za-z0-9_\-=]+"), "encrypted:" + MASK),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-]{40,}={0,2}"), MASK),
    # provider key shapes
    (re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"), "sk-ant-" + MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), "sk-" + MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "AIza" + MASK),
    (re.compile(r"\bxai-[A-Za-z0-9_\-]{16,}"), "xai-" + MASK),
    # Fernet keys: 43 url-safe base64 characters and '='
    (re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}=(?![A-Za-z0-9_\-=])"), MASK),
]


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every later log line of this process.

    Registering is a set insert; the combined pattern is rebuilt lazily, by the
    next :func:`redact` call, so registering many secrets stays linear.
    """
    global _secret_pattern_stale
    if not value or len(value) < _MIN_SECRET_LEN or value in _secrets:
        return
    with _secrets_lock:
        _secrets.add(value)
        _secret_pattern_stale = True


def _known_secrets_pattern() -> re.Pattern[str] | None:
    global _secret_pattern, _secret_pattern_stale
    if _secret_pattern_stale:
        with _secrets_lock:
            if _secret_pattern_stale:
                ordered = sorted(_secrets, key=len, reverse=True)
                _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
                _secret_pattern_stale = False
    return _secret_pattern


def redact(text: str) -> str:
    """Return ``text`` with every known and every recognisable secret masked."""
    if not text:
        return text
    # Shapes first: masking a registered secret first could break the shape
    # around another value (a secret "token" would hide "token=<value>").
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    pattern = _known_secrets_pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return text


def _redact_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    masked = redact(text)
    if isinstance(value, str) or masked != text:
        return masked
    return value  # keep the object itself, so %r and %d still format it


def _redact_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_redact_value(a) for a in args)
    if isinstance(args, dict):
        return {k: _redact_value(v) for k, v in args.items()}
    return _redact_value(args)


def _redact_message(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not hide the message
        message = f"{record.msg!r} {record.args!r}"
        record.args = None
    masked = redact(message)
    if masked == message:
        return
    # Keep msg and args apart where possible: some formatters (uvicorn's access
    # log) read the args themselves.
    if record.args:
        record.msg = redact(str(record.msg))
        record.args = _redact_args(record.args)
        try:
            again = record.getMessage()
        except Exception:  # the redaction broke a placeholder: fall back to the merged text
            again = None
        if again is not None and redact(again) == again:
            return
    record.msg = masked
    record.args = None


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_redacted", False):
        return record
    _redact_message(record)
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True
    return record


class RedactingFilter(logging.Filter):
    """A handler filter that redacts a record in place and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_factory_installed = False


def _install_record_factory() -> None:
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _add_filter(handler: logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())


def install_redaction() -> None:
    """Redact records at creation and on every handler that exists now."""
    _install_record_factory()
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            _add_filter(handler)


_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once; route uvicorn's loggers through it."""
    root = logging.getLogger()
    if not any(getattr(h, "_app_handler", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._app_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
    # httpx logs every request URL at INFO; keep it at WARNING unless debugging.
    logging.getLogger("httpx").setLevel("DEBUG" if level == "DEBUG" else "WARNING")
    logging.getLogger("httpcore").setLevel("INFO" if level == "DEBUG" else "WARNING")
    logging.getLogger("alembic").setLevel("INFO" if level == "DEBUG" else "WARNING")
    install_redaction()
