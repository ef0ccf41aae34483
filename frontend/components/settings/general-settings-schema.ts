// The general settings form's draft: its zod schema, how stored settings
// become a draft and a draft the PUT body, and the server's field names.
import { z } from "zod";
import type { Settings, SettingsUpdate } from "@/lib/types";

/** The server's limits (docs/API.md, Settings). */
export const MAX_TOKENS_MIN = 16;
export const MAX_TOKENS_MAX = 4096;
export const PROMPT_MAX = 2000;

const TOKENS_MESSAGE = `Enter a whole number from ${MAX_TOKENS_MIN} to ${MAX_TOKENS_MAX}.`;

export const generalSettingsSchema = z.object({
  prompt: z
    .string()
    .refine((v) => v.trim().length > 0, "Enter a prompt: it tells the AI what to describe.")
    .refine((v) => v.length <= PROMPT_MAX, `Use at most ${PROMPT_MAX} characters.`),
  maxTokens: z
    .string()
    .refine((v) => /^\d+$/.test(v.trim()), TOKENS_MESSAGE)
    .refine((v) => Number(v) >= MAX_TOKENS_MIN && Number(v) <= MAX_TOKENS_MAX, TOKENS_MESSAGE),
  blockPrivate: z.boolean(),
});
export type GeneralDraft = z.infer<typeof generalSettingsSchema>;
export type GeneralField = keyof GeneralDraft;

export function draftFrom(settings: Settings): GeneralDraft {
  return {
    prompt: settings.ai_description_prompt ?? "",
    maxTokens: String(settings.ai_max_tokens ?? ""),
    blockPrivate: Boolean(settings.webhook_block_private_networks),
  };
}

export function patchFrom(draft: GeneralDraft): SettingsUpdate {
  return {
    ai_description_prompt: draft.prompt,
    ai_max_tokens: Number(draft.maxTokens),
    webhook_block_private_networks: draft.blockPrivate,
  };
}

/** The server's field names, as this form's. */
export const SERVER_FIELDS: Record<string, GeneralField> = {
  ai_description_prompt: "prompt",
  ai_max_tokens: "maxTokens",
  webhook_block_private_networks: "blockPrivate",
};

/** What a server 422 on a field says at it: the form's words, not the validator's. */
export const SERVER_FIELD_MESSAGES: Record<GeneralField, string> = {
  prompt: `Enter a prompt of 1 to ${PROMPT_MAX} characters.`,
  maxTokens: TOKENS_MESSAGE,
  blockPrivate: "Choose on or off.",
};

export function isGeneralField(name: string): name is GeneralField {
  return name in generalSettingsSchema.shape;
}
