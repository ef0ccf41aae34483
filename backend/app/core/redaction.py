"""Exchange-scoped redaction: what a peer says back never carries our secrets.

A webhook receiver, an AI provider or a camera may repeat what it was sent:
``invalid credential: <token>`` without the ``Bearer `` in front, a cookie's
value without its name, the base64 of ``user:password`` from a Basic header,
a key upper-cased. Before any of its text is stored, shown or sent on, it is
redacted against every form in which the secrets of *that* exchange travelled
(:class:`ExchangeSecrets`), case-insensitively, then through the log redactor
(:func:`app.core.logging.redact`), and cut short.

Only peer text goes through here (a response body, a reason phrase, a codec
name, a description), never the product's own message around it.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from app.core.logging import MIN_SECRET_LEN, find_all, fold_case, mask_spans, redact

__all__ = ["ExchangeSecrets", "shorten"]

_SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~\-]*)\s+(\S.*?)\s*$")
_PAIR_SPLIT = re.compile(r"[;,&]")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ExchangeSecrets:
    """The secrets sent in one outgoing exchange, in every form they may come back in.

    ``repr`` never shows them. Build one per exchange; it is not shared.
    """

    __slots__ = ("_forms",)

    def __init__(self) -> None:
        self._forms: set[str] = set()

    def __repr__(self) -> str:
        return f"ExchangeSecrets({len(self._forms)} forms)"

    def __bool__(self) -> bool:
        return bool(self._forms)

    # -- what was sent ------------------------------------------------------------

    def add(self, *values: str | None) -> ExchangeSecrets:
        """A secret value as sent, with its encoded forms: percent-encoded
        (path, query and form style), decoded, JSON- and HTML-escaped."""
        for value in values:
            if not value or len(value) < MIN_SECRET_LEN:
                continue
            forms = {
                value,
                value.strip(),
                quote(value, safe=""),
                quote(value),
                quote_plus(value),
                unquote(value),
                unquote_plus(value),
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
                html.escape(value),
            }
            self._forms.update(fold_case(f) for f in forms if len(f) >= MIN_SECRET_LEN)
        return self

    def add_basic(self, username: str | None, password: str | None) -> ExchangeSecrets:
        """Basic credentials: the password and base64 of ``user:password``
        (standard and url-safe alphabets, with and without padding)."""
        self.add(password)
        if password:
            pair = f"{username or ''}:{password}".encode()
            for encoded in (base64.b64encode(pair), base64.urlsafe_b64encode(pair)):
                text = encoded.decode("ascii")
                self.add(text, text.rstrip("="))
        return self

    def add_header(self, name: str, value: str | None) -> ExchangeSecrets:
        """A header value sent as a secret, and its parts: the credentials
        after an auth scheme (``Bearer x`` → ``x``; Basic decoded to
        ``user:password`` and the password), and the values of ``name=value``
        pairs (cookies, Digest-style parameters)."""
        if not value:
            return self
        self.add(value)
        credentials = value
        match = _SCHEME_RE.match(value)
        if match:
            scheme, credentials = match.group(1).lower(), match.group(2)
            self.add(credentials)
            if scheme == "basic":
                self._add_decoded_basic(credentials)
        if name.lower() in ("cookie", "set-cookie") or "=" in credentials:
            for part in _PAIR_SPLIT.split(credentials):
                part = part.strip()
                self.add(part)
                if "=" in part:
                    self.add(part.split("=", 1)[1].strip().strip('"'))
        return self

    def _add_decoded_basic(self, credentials: str) -> None:
        token = credentials.strip()
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=False).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return
        if ":" in decoded:
            username, password = decoded.split(":", 1)
            self.add(decoded)
            self.add_basic(username, password)

    # -- what came back -----------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every form of this exchange's secrets masked (any case),
        then through the log redactor."""
        if not text:
            return text
        if self._forms:
            folded = fold_case(text)
            spans: list[tuple[int, int]] = []
            for form in self._forms:
                spans += find_all(folded, form)
            text = mask_spans(text, spans)
        return redact(text)

    def clean(self, text: str | None, limit: int) -> str | None:
        """Peer text ready to store or show: redacted, then at most ``limit`` characters."""
        if text is None:
            return None
        return shorten(self.redact(text), limit)
