"""OpenAI: ``Authorization: Bearer``, list models ``GET /models``, chat completions with an image_url data URL."""

from __future__ import annotations

from typing import Any

from app.services.ai_providers.base import by_status, error_text
from app.services.ai_providers.openai_compat import OpenAICompatibleAdapter
from app.services.ai_providers.outcomes import Outcome


class OpenAIAdapter(OpenAICompatibleAdapter):
    provider = "openai"
    # max_tokens is deprecated for chat completions and refused by reasoning models.
    max_tokens_field = "max_completion_tokens"

    def classify_error(self, *, status_code: int, payload: Any) -> Outcome:
        text = error_text(payload)
        code = ""
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            code = str(payload["error"].get("code") or "").lower()
        if status_code == 401:
            # A restricted project key without the scope is a 401 too.
            if "insufficient permissions" in text or "missing scopes" in text:
                return Outcome.PERMISSION_DENIED
            return Outcome.INVALID_KEY
        if status_code == 429:
            if code == "insufficient_quota" or "quota" in text or "billing" in text:
                return Outcome.NO_QUOTA
            return Outcome.RATE_LIMITED
        return by_status(status_code)
