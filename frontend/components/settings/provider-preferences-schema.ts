// The provider preferences form's draft: its zod schema, how stored settings
// become a draft and a draft the PUT body, and the server's field names.
import { z } from "zod";
import { modelField } from "@/lib/providers";
import { PROVIDERS, type Provider, type Settings, type SettingsUpdate } from "@/lib/types";

/** A provider's model name field in the form (flat, so a server error finds it). */
export type ModelKey = `model_${Provider}`;

export function modelKey(provider: Provider): ModelKey {
  return `model_${provider}`;
}

const provider = z.enum(PROVIDERS);

// The browser checks only what it knows (a provider is one of the list);
// which model names the server takes is its to say.
export const providerPreferencesSchema = z.object({
  primary: z.union([provider, z.literal("")]),
  fallback: z.array(provider),
  model_openai: z.string(),
  model_anthropic: z.string(),
  model_google: z.string(),
  model_grok: z.string(),
} satisfies Record<"primary" | "fallback" | ModelKey, z.ZodType>);
export type PreferencesDraft = z.infer<typeof providerPreferencesSchema>;
export type PreferencesField = keyof PreferencesDraft;

export function draftFrom(settings: Settings): PreferencesDraft {
  const primary = settings.ai_primary_provider ?? "";
  const models = Object.fromEntries(PROVIDERS.map((p) => [modelKey(p), settings[modelField(p)] ?? ""])) as Record<ModelKey, string>;
  return {
    primary,
    fallback: (settings.ai_fallback_order ?? []).filter((p) => PROVIDERS.includes(p) && p !== primary),
    ...models,
  };
}

/** The PUT body: primary and fallbacks always, a model only when one is typed (empty keeps the stored one). */
export function patchFrom(draft: PreferencesDraft): SettingsUpdate {
  const patch: SettingsUpdate = { ai_primary_provider: draft.primary || null, ai_fallback_order: draft.fallback };
  for (const p of PROVIDERS) {
    const model = draft[modelKey(p)].trim();
    if (model) patch[modelField(p)] = model;
  }
  return patch;
}

/** The fallback list with `p` moved one place up (-1) or down (1); unchanged at an end. */
export function moved(list: readonly Provider[], p: Provider, delta: -1 | 1): Provider[] {
  const next = [...list];
  const i = next.indexOf(p);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= next.length) return next;
  [next[i], next[j]] = [next[j], next[i]];
  return next;
}

/** The server's field names, as this form's (a fallback list item's error is the list's). */
export const SERVER_FIELDS: Readonly<Record<string, PreferencesField>> = {
  ai_primary_provider: "primary",
  ai_fallback_order: "fallback",
  ...Object.fromEntries(PROVIDERS.map((_, i) => [`ai_fallback_order.${i}`, "fallback"])),
  ...Object.fromEntries(PROVIDERS.map((p) => [modelField(p), modelKey(p)])),
};
