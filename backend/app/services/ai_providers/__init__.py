"""One adapter per AI provider, the shared HTTP client and the outcome mapping.

``ADAPTERS[provider]`` knows the provider's wire format (PROVIDERS.md);
:mod:`.http` sends; :mod:`.outcomes` says what happened in the product's words.
"""

from __future__ import annotations

from app.services.ai_providers.anthropic import AnthropicAdapter
from app.services.ai_providers.base import DescribeParams, ImageInput, ProviderAdapter, RequestSpec
from app.services.ai_providers.google import GoogleAdapter
from app.services.ai_providers.grok import GrokAdapter
from app.services.ai_providers.http import AITimeouts, ProviderHttp, ProviderResponse, TransportFailure
from app.services.ai_providers.openai import OpenAIAdapter
from app.services.ai_providers.outcomes import PROVIDER_NAMES, Outcome, provider_name

ADAPTERS: dict[str, ProviderAdapter] = {
    adapter.provider: adapter for adapter in (OpenAIAdapter(), AnthropicAdapter(), GoogleAdapter(), GrokAdapter())
}

__all__ = [
    "ADAPTERS",
    "PROVIDER_NAMES",
    "AITimeouts",
    "DescribeParams",
    "ImageInput",
    "Outcome",
    "ProviderAdapter",
    "ProviderHttp",
    "ProviderResponse",
    "RequestSpec",
    "TransportFailure",
    "provider_name",
]
