"""Google Gemini: ``x-goog-api-key`` (never ``?key=``), ``GET /models?pageSize=1``,
``POST /models/{model}:generateContent`` with ``inline_data``. A bad key is a 400."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from app.services.ai_providers.base import (
    DescribeParams,
    ImageInput,
    ProviderAdapter,
    RequestSpec,
    by_status,
    error_text,
)
from app.services.ai_providers.outcomes import Outcome


def _reasons(payload: Any) -> set[str]:
    reasons: set[str] = set()
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        status = error.get("status")
        if isinstance(status, str):
            reasons.add(status)
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
                reasons.add(detail["reason"])
    return reasons


class GoogleAdapter(ProviderAdapter):
    provider = "google"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-goog-api-key": api_key, "Accept": "application/json"}

    def list_models(self, *, base_url: str, api_key: str) -> RequestSpec:
        return RequestSpec("GET", f"{base_url}/models", headers=self.auth_headers(api_key), params={"pageSize": "1"})

    def describe(self, *, base_url: str, api_key: str, params: DescribeParams, image: ImageInput) -> RequestSpec:
        model = params.model.removeprefix("models/")
        body = {
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"text": params.prompt},
                        {"inline_data": {"mime_type": image.media_type, "data": image.base64_data}},
                    ],
                }
            ],
            "generationConfig": {"maxOutputTokens": params.max_tokens},
        }
        url = f"{base_url}/models/{quote(model, safe='-._')}:generateContent"
        return RequestSpec("POST", url, headers=self.auth_headers(api_key), json=body)

    def classify_error(self, *, status_code: int, payload: Any) -> Outcome:
        reasons = _reasons(payload)
        text = error_text(payload)
        if "API_KEY_INVALID" in reasons or "api key not valid" in text or "api key expired" in text:
            return Outcome.INVALID_KEY
        if status_code == 400 and "FAILED_PRECONDITION" in reasons:
            return Outcome.PERMISSION_DENIED  # e.g. not available in this region / billing required
        if status_code == 429 or "RESOURCE_EXHAUSTED" in reasons:
            # Daily quota or a plan without billing: no quota; per-minute limits: rate limited.
            if "perday" in text or "billing" in text:
                return Outcome.NO_QUOTA
            return Outcome.RATE_LIMITED
        if status_code == 401 or "UNAUTHENTICATED" in reasons:
            return Outcome.INVALID_KEY
        return by_status(status_code)

    def extract_description(self, payload: Any) -> str | None:
        try:
            parts = payload["candidates"][0]["content"]["parts"]
        except (KeyError, IndexError, TypeError):
            return None
        texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
        text = " ".join(texts).strip()
        return text or None

    def list_models_ok(self, payload: Any) -> bool:
        return isinstance(payload, dict) and isinstance(payload.get("models", []), list)
