"""The adapter interface: what each provider module knows about its wire format.

An adapter builds requests (it never sends them) and reads answers. The key is
passed in for one request and lives only in that request's headers; a
:class:`RequestSpec`'s ``repr`` masks them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from app.services.ai_providers.outcomes import Outcome


@dataclass(frozen=True)
class RequestSpec:
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    params: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"RequestSpec(method={self.method!r}, url={self.url!r}, params={self.params!r}, headers=***)"


@dataclass(frozen=True)
class ImageInput:
    """A validated image, base64-encoded once for every provider."""

    media_type: str  # image/jpeg or image/png
    base64_data: str

    def __repr__(self) -> str:
        return f"ImageInput(media_type={self.media_type!r}, {len(self.base64_data)} base64 chars)"

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64_data}"


@dataclass(frozen=True)
class DescribeParams:
    model: str
    prompt: str
    max_tokens: int


def error_text(payload: Any) -> str:
    """Every string in an error payload, lowercased, to classify it.

    Used only to choose an outcome: never shown, never logged.
    """
    parts: list[str] = []

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 6 or len(parts) > 200:
            return
        if isinstance(node, str):
            parts.append(node.lower())
        elif isinstance(node, dict):
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list):
            for value in node:
                walk(value, depth + 1)

    walk(payload)
    return " ".join(parts)


def by_status(status_code: int) -> Outcome:
    """The outcome when the body says nothing more specific."""
    if status_code == 401:
        return Outcome.INVALID_KEY
    if status_code == 403:
        return Outcome.PERMISSION_DENIED
    if status_code == 429:
        return Outcome.RATE_LIMITED
    return Outcome.PROVIDER_ERROR


class ProviderAdapter(ABC):
    provider: str

    @abstractmethod
    def auth_headers(self, api_key: str) -> dict[str, str]: ...

    @abstractmethod
    def list_models(self, *, base_url: str, api_key: str) -> RequestSpec:
        """The cheapest request that proves a key: list models (costs no tokens)."""

    @abstractmethod
    def describe(self, *, base_url: str, api_key: str, params: DescribeParams, image: ImageInput) -> RequestSpec:
        """A request asking the model to describe ``image``."""

    @abstractmethod
    def classify_error(self, *, status_code: int, payload: Any) -> Outcome:
        """Outcome of a non-2xx answer (``payload`` is parsed JSON, or None)."""

    @abstractmethod
    def extract_description(self, payload: Any) -> str | None:
        """The text of a successful describe answer, or None if it has none."""

    def list_models_ok(self, payload: Any) -> bool:
        """Whether a 2xx list-models answer looks like this provider's list."""
        return isinstance(payload, dict)
