"""The OpenAI chat-completions wire shape, shared by OpenAI and xAI Grok."""

from __future__ import annotations

from typing import Any

from app.services.ai_providers.base import DescribeParams, ImageInput, ProviderAdapter, RequestSpec


class OpenAICompatibleAdapter(ProviderAdapter):
    max_tokens_field = "max_tokens"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    def list_models(self, *, base_url: str, api_key: str) -> RequestSpec:
        return RequestSpec("GET", f"{base_url}/models", headers=self.auth_headers(api_key))

    def describe(self, *, base_url: str, api_key: str, params: DescribeParams, image: ImageInput) -> RequestSpec:
        body = {
            "model": params.model,
            self.max_tokens_field: params.max_tokens,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": params.prompt},
                        {"type": "image_url", "image_url": {"url": image.data_url, "detail": "high"}},
                    ],
                }
            ],
        }
        return RequestSpec("POST", f"{base_url}/chat/completions", headers=self.auth_headers(api_key), json=body)

    def extract_description(self, payload: Any) -> str | None:
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(content, list):  # content parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content.strip() if isinstance(content, str) and content.strip() else None

    def list_models_ok(self, payload: Any) -> bool:
        return isinstance(payload, dict) and isinstance(payload.get("data"), list)
