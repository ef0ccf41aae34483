import type { Provider, SecretStatus, Settings } from "./types";

export interface ProviderInfo {
  id: Provider;
  name: string;
  vendor: string;
  placeholder: string;
  docsHint: string;
}

export const PROVIDER_INFO: Record<Provider, ProviderInfo> = {
  openai: { id: "openai", name: "OpenAI", vendor: "OpenAI", placeholder: "sk-…", docsHint: "GPT vision models" },
  anthropic: { id: "anthropic", name: "Anthropic", vendor: "Anthropic", placeholder: "sk-ant-…", docsHint: "Claude models" },
  google: { id: "google", name: "Google Gemini", vendor: "Google", placeholder: "AIza…", docsHint: "Gemini models" },
  grok: { id: "grok", name: "xAI Grok", vendor: "xAI", placeholder: "xai-…", docsHint: "Grok vision models" },
};

export function keyField(provider: Provider): `ai_api_key_${Provider}` {
  return `ai_api_key_${provider}`;
}

export function modelField(provider: Provider): `ai_model_${Provider}` {
  return `ai_model_${provider}`;
}

export function keyStatus(settings: Settings, provider: Provider): SecretStatus {
  const field = keyField(provider);
  const status = settings.secret_status?.[field];
  if (status) return status;
  return settings[field] ? "set" : "unset";
}
