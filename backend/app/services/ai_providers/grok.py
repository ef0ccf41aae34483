"""xAI Grok: OpenAI-style API. A bad key is a 400 whose string ``error`` names
the key; 403 and 429 mean spent credits when they say so."""

from __future__ import annotations

from typing import Any

from app.services.ai_providers.base import by_status, error_text
from app.services.ai_providers.openai_compat import OpenAICompatibleAdapter
from app.services.ai_providers.outcomes import Outcome

_CREDIT_WORDS = ("credit", "spending limit", "billing")


class GrokAdapter(OpenAICompatibleAdapter):
    provider = "grok"
    max_tokens_field = "max_tokens"

    def classify_error(self, *, status_code: int, payload: Any) -> Outcome:
        text = error_text(payload)
        no_credit = any(word in text for word in _CREDIT_WORDS)
        if status_code == 400:
            if "api key" in text or "api-key" in text:
                return Outcome.INVALID_KEY
            return Outcome.PROVIDER_ERROR
        if status_code in (403, 429) and no_credit:
            return Outcome.NO_QUOTA
        return by_status(status_code)
