"""RTSP authentication: the ``WWW-Authenticate`` challenges, Digest (RFC 2617 /
RFC 7616: ``qop=auth``, MD5, SHA-256 and their ``-sess`` variants) and Basic
(RFC 7617). Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

AuthKind = Literal["digest", "basic", "none"]


@dataclass
class Challenge:
    scheme: str  # lower case: "digest", "basic", ...
    params: dict[str, str]


_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` header values (RFC 7235), several challenges
    per value allowed: ``Digest realm="x", nonce="y", Basic realm="x"``."""
    challenges: list[Challenge] = []
    for value in values:
        pos, n = 0, len(value)
        current: Challenge | None = None
        while pos < n:
            while pos < n and value[pos] in " \t,":
                pos += 1
            match = _TOKEN_RE.match(value, pos)
            if not match:
                pos += 1
                continue
            token = match.group(0)
            after = match.end()
            while after < n and value[after] in " \t":
                after += 1
            if after < n and value[after] == "=" and current is not None and not _is_token68_end(value, after):
                name = token.lower()
                pos = after + 1
                while pos < n and value[pos] in " \t":
                    pos += 1
                if pos < n and value[pos] == '"':
                    text, pos = _read_quoted(value, pos)
                else:
                    end = pos
                    while end < n and value[end] not in ", \t":
                        end += 1
                    text, pos = value[pos:end], end
                current.params[name] = text
            else:
                current = Challenge(scheme=token.lower(), params={})
                challenges.append(current)
                pos = match.end()
    return challenges


def _is_token68_end(value: str, eq: int) -> bool:
    """``token68=`` padding (``Basic abc==``) rather than ``name=value``."""
    rest = value[eq:].lstrip("=").lstrip(" \t")
    return rest == "" or rest.startswith(",")


def _read_quoted(value: str, pos: int) -> tuple[str, int]:
    out: list[str] = []
    pos += 1
    while pos < len(value):
        char = value[pos]
        if char == "\\" and pos + 1 < len(value):
            out.append(value[pos + 1])
            pos += 2
            continue
        if char == '"':
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    return "".join(out), pos


_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def _hash(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    return _HASHES[base](text.encode("utf-8")).hexdigest()


def digest_response(
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    algorithm: str = "MD5",
    qop: str | None = None,
    nc: str = "00000001",
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The Digest ``response`` value (RFC 2617 section 3.2.2, RFC 7616 section 3.4.1)."""
    algorithm = algorithm.upper()
    if algorithm.removesuffix("-SESS") not in _HASHES:
        raise ValueError("unsupported Digest algorithm")
    ha1 = _hash(algorithm, f"{username}:{realm}:{password}")
    if algorithm.endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
    if qop == "auth-int":
        base = algorithm.removesuffix("-SESS")
        ha2 = _hash(algorithm, f"{method}:{uri}:{_HASHES[base](body).hexdigest()}")
    else:
        ha2 = _hash(algorithm, f"{method}:{uri}")
    if qop:
        return _hash(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _hash(algorithm, f"{ha1}:{nonce}:{ha2}")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_ALGORITHM_STRENGTH = {"SHA-256": 4, "SHA-256-SESS": 3, "MD5": 2, "MD5-SESS": 1}


def choose_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Digest before Basic; among Digest challenges the strongest algorithm we support."""
    digests = [
        c
        for c in challenges
        if c.scheme == "digest"
        and c.params.get("algorithm", "MD5").upper() in _ALGORITHM_STRENGTH
        and "nonce" in c.params
    ]
    if digests:
        return max(digests, key=lambda c: _ALGORITHM_STRENGTH[c.params.get("algorithm", "MD5").upper()])
    for challenge in challenges:
        if challenge.scheme == "basic":
            return challenge
    return None


class Authenticator:
    """Builds the Authorization header for each request once challenged."""

    def __init__(self, username: str, password: str, challenge: Challenge) -> None:
        self.username = username
        self._password = password
        self.challenge = challenge
        self.kind: AuthKind = "digest" if challenge.scheme == "digest" else "basic"
        self._nc = 0
        qops = [q.strip().lower() for q in challenge.params.get("qop", "").split(",") if q.strip()]
        self.qop = "auth" if "auth" in qops else ("auth-int" if "auth-int" in qops else None)

    def __repr__(self) -> str:
        return f"Authenticator(kind={self.kind!r}, username=***, password=***)"

    def header(self, method: str, uri: str, body: bytes = b"") -> str:
        if self.kind == "basic":
            token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode("ascii")
            return f"Basic {token}"
        params = self.challenge.params
        algorithm = params.get("algorithm", "MD5")
        self._nc += 1
        nc = f"{self._nc:08x}"
        cnonce = secrets.token_hex(8)
        response = digest_response(
            username=self.username,
            password=self._password,
            realm=params.get("realm", ""),
            nonce=params["nonce"],
            method=method,
            uri=uri,
            algorithm=algorithm,
            qop=self.qop,
            nc=nc,
            cnonce=cnonce,
            body=body,
        )
        parts = [
            f"username={_quote(self.username)}",
            f"realm={_quote(params.get('realm', ''))}",
            f"nonce={_quote(params['nonce'])}",
            f"uri={_quote(uri)}",
            f"response={_quote(response)}",
        ]
        if "algorithm" in params:
            parts.append(f"algorithm={algorithm}")
        if "opaque" in params:
            parts.append(f"opaque={_quote(params['opaque'])}")
        if self.qop:
            parts += [f"qop={self.qop}", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        return "Digest " + ", ".join(parts)
