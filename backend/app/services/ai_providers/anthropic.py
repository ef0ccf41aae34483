"""Anthropic: ``x-api-key`` and ``anthropic-version``, ``GET /models?limit=1``,
``POST /messages`` with a base64 image block."""

from __future__ import annotations

from typing import Any

from app.services.ai_providers.base import (
    DescribeParams,
    ImageInput,
    ProviderAdapter,
    RequestSpec,
    by_status,
    error_text,
)
from app.services.ai_providers.outcomes import Outcome

ANTHROPIC_VERSION = "2023-06-01"


class AnthropicAdapter(ProviderAdapter):
    provider = "anthropic"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION, "Accept": "application/json"}

    def list_models(self, *, base_url: str, api_key: str) -> RequestSpec:
        return RequestSpec("GET", f"{base_url}/models", headers=self.auth_headers(api_key), params={"limit": "1"})

    def describe(self, *, base_url: str, api_key: str, params: DescribeParams, image: ImageInput) -> RequestSpec:
        body = {
            "model": params.model,
            "max_tokens": params.max_tokens,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": image.media_type, "data": image.base64_data},
                        },
                        {"type": "text", "text": params.prompt},
                    ],
                }
            ],
        }
        return RequestSpec("POST", f"{base_url}/messages", headers=self.auth_headers(api_key), json=body)

    def classify_error(self, *, status_code: int, payload: Any) -> Outcome:
        kind = ""
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            kind = str(payload["error"].get("type") or "")
        text = error_text(payload)
        if kind == "authentication_error":
            return Outcome.INVALID_KEY
        if kind == "permission_error":
            return Outcome.PERMISSION_DENIED
        if kind == "billing_error" or status_code == 402 or "credit balance" in text:
            return Outcome.NO_QUOTA
        if kind == "rate_limit_error":
            return Outcome.RATE_LIMITED
        if kind in ("api_error", "overloaded_error") or status_code >= 500:
            return Outcome.PROVIDER_ERROR
        return by_status(status_code)

    def extract_description(self, payload: Any) -> str | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("content"), list):
            return None
        texts = [
            block["text"]
            for block in payload["content"]
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        ]
        text = " ".join(texts).strip()
        return text or None

    def list_models_ok(self, payload: Any) -> bool:
        return isinstance(payload, dict) and isinstance(payload.get("data"), list)
