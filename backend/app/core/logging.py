# size: the registry of secrets this process holds and the log filter that masks them are one unit.
"""Logging set-up and the redaction that keeps secrets out of every log line.

Redaction happens in two places that share one function, :func:`redact`:

* a log-record factory, so every record is redacted the moment it is created,
  whichever handler (ours, uvicorn's, pytest's) later receives it;
* :class:`RedactingFilter` on every handler we know of, for records made by a
  factory that another library installed after ours.

What is masked: every plaintext secret the process holds (decrypted stored
secrets, the keys: :func:`hold_secret`) or is handling in a request
(:func:`register_secret`), in any case, credentials in URLs (``rtsp://user:****@``) and in
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
import time
import traceback
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import ahocorasick

from app.core.access_log import quiet_routine_polls

MASK = "****"
MIN_SECRET_LEN = 4

_HEADER_NAMES = r"(?:proxy-)?authorization|x-api-key|x-goog-api-key|api-key|cookie|set-cookie|x-auth-token"
_PARAM_NAMES = (
    r"api[_-]?key|key|access[_-]?token|refresh[_-]?token|token|password|passwd|pwd|"
    r"secret|client[_-]?secret|sig|signature|auth"
)

# (pattern, replacement, a substring every match contains): the substring is
# checked first, so a line pays only for the patterns that can match in it.
_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    # credentials in a URL: scheme://user:password@host
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/@:'\"]*:)[^\s@/'\"]+(@)"), r"\1" + MASK + r"\2", "@"),
    # quoted header pairs, as in dict or tuple reprs: 'Authorization': 'Bearer x'
    (
        re.compile(r"""(?i)((['"])(?:""" + _HEADER_NAMES + r""")\2\s*[:,]\s*b?(['"]))(.*?)(\3)"""),
        r"\1" + MASK + r"\5",
        "",
    ),
    # header lines: Authorization: Bearer x
    (re.compile(r"(?i)(\b(?:" + _HEADER_NAMES + r")\s*:\s*)(?!\*\*\*\*)[^\r\n]+"), r"\1" + MASK, ":"),
    # key=value in query strings, forms and log text
    (
        re.compile(r"(?i)(\b(?:" + _PARAM_NAMES + r")=)(?!\*\*\*\*)[^\s&#'\",;)]+"),
        r"\1" + MASK,
        "=",
    ),
    # encrypted values and Fernet tokens
    (re.compile(r"encrypted:[A-Za-z0-9_\-=]+"), "encrypted:" + MASK, "encrypted:"),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-]{40,}={0,2}"), MASK, "gAAAAA"),
    # provider key shapes
    (re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"), "sk-ant-" + MASK, "sk-ant-"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), "sk-" + MASK, "sk-"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "AIza" + MASK, "AIza"),
    (re.compile(r"\bxai-[A-Za-z0-9_\-]{16,}"), "xai-" + MASK, "xai-"),
    # Fernet keys: 43 url-safe base64 characters and '='
    (re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}=(?![A-Za-z0-9_\-=])"), MASK, "="),
]


# -- the secrets this process knows ---------------------------------------------
#
# Three sets, each bounded, matched case-insensitively (a peer or a library may
# fold case):
#
# * *held*: the plaintexts the process really holds, one entry per place
#   (:func:`hold_secret`; ``encryption.decrypt`` holds every stored secret it
#   opens under its context, the keys are held too). A place holds one value at
#   a time, so the set is as large as the stored data, capped at
#   :data:`MAX_HELD_PLACES` places and :data:`MAX_HELD_CHARS` characters
#   (least recently used dropped). Matched with an
#   Aho-Corasick automaton: one pass over the text whatever the number of
#   secrets; it is rebuilt (lazily, by the next redaction) only when the set
#   changed by more than a few entries (the few newest are matched one by one
#   meanwhile).
# * *in flight*: secrets that arrive in a request (:func:`register_secret` in a
#   schema validator) live in that request's scope (:class:`SecretScopeMiddleware`)
#   and are forgotten when it ends: a rejected request leaves nothing behind.
# * *loose*: :func:`register_secret` outside any request (CLI, background
#   tasks): a small set, capped at :data:`MAX_LOOSE` and forgotten after
#   :data:`LOOSE_TTL` seconds.

MAX_HELD_PLACES = 20_000
MAX_HELD_CHARS = 1_000_000  # about 50 MB of automaton at most
MAX_SCOPE = 256
MAX_LOOSE = 256
LOOSE_TTL = 300.0
_REBUILD_AFTER = 32  # new held words matched one by one before the automaton is rebuilt


def fold_case(text: str) -> str:
    """Lower-case ``text`` without changing its length (so spans map back)."""
    if text.isascii():
        return text.lower()
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


class _Held:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.places: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self.counts: dict[str, int] = {}
        self.automaton: Any = None
        self.in_automaton: frozenset[str] = frozenset()
        self.pending: tuple[str, ...] = ()  # held words not in the automaton yet
        self.stale = 0  # words in the automaton that are no longer held
        self.chars = 0  # characters held, all places together

    def hold(self, place: str, words: tuple[str, ...]) -> None:
        with self.lock:
            if self.places.get(place) == words:
                self.places.move_to_end(place)
                return
            self._drop(place)
            self.places[place] = words
            pending = list(self.pending)
            for word in words:
                self.counts[word] = self.counts.get(word, 0) + 1
                if word not in self.in_automaton and word not in pending:
                    pending.append(word)
            self.pending = tuple(pending)
            self.chars += sum(len(word) for word in words)
            while len(self.places) > 1 and (len(self.places) > MAX_HELD_PLACES or self.chars > MAX_HELD_CHARS):
                self._drop(next(iter(self.places)))

    def _drop(self, place: str) -> None:
        words = self.places.pop(place, ())
        self.chars -= sum(len(word) for word in words)
        for word in words:
            left = self.counts.get(word, 0) - 1
            if left > 0:
                self.counts[word] = left
                continue
            self.counts.pop(word, None)
            if word in self.in_automaton:
                self.stale += 1  # still masked until the next rebuild: harmless
            else:
                self.pending = tuple(w for w in self.pending if w != word)

    def _rebuild(self) -> None:
        words = frozenset(self.counts)
        automaton = None
        if words:
            automaton = ahocorasick.Automaton()
            for word in words:
                automaton.add_word(word, len(word))
            automaton.make_automaton()
        self.automaton, self.in_automaton, self.pending, self.stale = automaton, words, (), 0

    def spans(self, folded: str) -> list[tuple[int, int]]:
        if len(self.pending) > _REBUILD_AFTER or self.stale > max(_REBUILD_AFTER, len(self.counts) // 4):
            with self.lock:  # lazily: a burst of new secrets costs one rebuild, at the next log line
                if len(self.pending) > _REBUILD_AFTER or self.stale > max(_REBUILD_AFTER, len(self.counts) // 4):
                    self._rebuild()
        automaton, pending = self.automaton, self.pending
        found: list[tuple[int, int]] = []
        if automaton is not None:
            found += [(end - size + 1, end + 1) for end, size in automaton.iter(folded)]
        for word in pending:
            found += find_all(folded, word)
        return found

    def clear(self) -> None:
        with self.lock:
            self.places.clear()
            self.counts.clear()
            self._rebuild()

    def size(self) -> int:
        return len(self.counts)


def find_all(folded: str, word: str) -> list[tuple[int, int]]:
    found = []
    start = folded.find(word)
    while start >= 0:
        found.append((start, start + len(word)))
        start = folded.find(word, start + 1)
    return found


class _Scope:
    """The in-flight secrets of one request."""

    __slots__ = ("words",)

    def __init__(self) -> None:
        self.words: set[str] = set()


_held = _Held()
_scope: ContextVar[_Scope | None] = ContextVar("secret_scope", default=None)
_loose: OrderedDict[str, float] = OrderedDict()
_loose_lock = threading.Lock()


def _words(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({fold_case(v) for v in values if v and len(v) >= MIN_SECRET_LEN}))


def hold_secret(place: str, *values: str | None) -> None:
    """The process holds ``values`` (a decrypted secret and its derived forms)
    for ``place``: mask them in every later log line. Replaces what ``place``
    held before."""
    _held.hold(place, _words(values))


def register_secret(value: str | None) -> None:
    """Mask an in-flight ``value`` (one that arrived in a request, or a derived
    form) while it is being handled: for the rest of the current request, or,
    outside a request, for :data:`LOOSE_TTL` seconds."""
    if not value or len(value) < MIN_SECRET_LEN:
        return
    word = fold_case(value)
    scope = _scope.get()
    if scope is not None:
        if len(scope.words) < MAX_SCOPE:
            scope.words.add(word)
        return
    now = time.monotonic()
    with _loose_lock:
        _loose[word] = now + LOOSE_TTL
        _loose.move_to_end(word)
        while _loose and (len(_loose) > MAX_LOOSE or next(iter(_loose.values())) < now):
            _loose.popitem(last=False)


def registered_secret_count() -> int:
    """How many secrets the redactor knows outside any request (held and loose)."""
    _expire_loose()
    return _held.size() + len(_loose)


def forget_secrets() -> None:
    """Forget every held and loose secret (tests)."""
    _held.clear()
    with _loose_lock:
        _loose.clear()


def _expire_loose() -> None:
    if not _loose:
        return
    now = time.monotonic()
    with _loose_lock:
        while _loose and next(iter(_loose.values())) < now:
            _loose.popitem(last=False)


@contextmanager
def secret_scope() -> Iterator[None]:
    """In-flight secrets registered inside this block are forgotten after it."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


class SecretScopeMiddleware:
    """One :func:`secret_scope` per HTTP request. A request that fails with an
    unhandled exception hands its secrets to the loose set, so the server's
    own traceback line (written after the request) is still masked."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        current = _Scope()
        token = _scope.set(current)
        failed = False
        try:
            await self.app(scope, receive, send)
        except BaseException:
            failed = True
            raise
        finally:
            _scope.reset(token)
            if failed:
                for word in list(current.words):
                    register_secret(word)


def _known_spans(text: str) -> list[tuple[int, int]]:
    folded = fold_case(text)
    found = _held.spans(folded)
    scope = _scope.get()
    if scope is not None:
        for word in tuple(scope.words):
            found += find_all(folded, word)
    if _loose:
        _expire_loose()
        for word in tuple(_loose):
            found += find_all(folded, word)
    return found


def mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every span (start, end) replaced by the mask; overlapping
    spans merge."""
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    position = 0
    start, end = spans[0]
    for s, e in spans[1:]:
        if s <= end:
            end = max(end, e)
            continue
        out += [text[position:start], MASK]
        position, start, end = end, s, e
    out += [text[position:start], MASK, text[end:]]
    return "".join(out)


def redact(text: str) -> str:
    """Return ``text`` with every known and every recognisable secret masked."""
    if not text:
        return text
    # Shapes first: masking a registered secret first could break the shape
    # around another value (a secret "token" would hide "token=<value>").
    for regex, replacement, needed in _PATTERNS:
        if needed in text:
            text = regex.sub(replacement, text)
    return mask_spans(text, _known_spans(text))


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
    quiet_routine_polls()  # the dashboard's timed polls: DEBUG lines, not INFO
