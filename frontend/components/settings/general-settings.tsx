"use client";

import * as React from "react";
import { Controller, useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Save } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FieldHint, Input, Label, Textarea } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { NoticeText } from "@/components/crud";
import { serverFieldErrors } from "@/components/auth/field";
import { api, errorMessage } from "@/lib/api";
import type { Settings, SettingsUpdate } from "@/lib/types";
import type { Notice } from "@/lib/use-save-notice";

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
type GeneralDraft = z.infer<typeof generalSettingsSchema>;

function draftFrom(settings: Settings): GeneralDraft {
  return {
    prompt: settings.ai_description_prompt ?? "",
    maxTokens: String(settings.ai_max_tokens ?? ""),
    blockPrivate: Boolean(settings.webhook_block_private_networks),
  };
}

/** The server's field names, as this form's. */
const FIELDS: Record<string, keyof GeneralDraft> = {
  ai_description_prompt: "prompt",
  ai_max_tokens: "maxTokens",
  webhook_block_private_networks: "blockPrivate",
};

const FIELD_MESSAGES: Record<keyof GeneralDraft, string> = {
  prompt: `Enter a prompt of 1 to ${PROMPT_MAX} characters.`,
  maxTokens: TOKENS_MESSAGE,
  blockPrivate: "Choose on or off.",
};

export function GeneralSettings({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const form = useForm<GeneralDraft>({
    resolver: zodResolver(generalSettingsSchema),
    defaultValues: draftFrom(settings),
    mode: "onTouched",
  });
  const [notice, setNotice] = React.useState<Notice | null>(null);
  const { errors, isSubmitting } = form.formState;

  async function save(values: GeneralDraft) {
    setNotice(null);
    const patch: SettingsUpdate = {
      ai_description_prompt: values.prompt,
      ai_max_tokens: Number(values.maxTokens),
      webhook_block_private_networks: values.blockPrivate,
    };
    try {
      const next = await api.settings.update(patch);
      form.reset(draftFrom(next));
      onSaved(next);
      setNotice({ tone: "success", text: "Settings saved." });
    } catch (err) {
      const fields = serverFieldErrors(err, FIELDS);
      const known = Object.entries(fields).filter(([name]) => name in generalSettingsSchema.shape);
      // The server's own words are validator text: say it the form's way, at the field.
      for (const [name] of known) form.setError(name as keyof GeneralDraft, { message: FIELD_MESSAGES[name as keyof GeneralDraft] });
      if (!known.length) setNotice({ tone: "error", text: errorMessage(err) });
    }
  }

  const tokensError = errors.maxTokens?.message;
  const promptError = errors.prompt?.message;

  return (
    <Card>
      <CardHeader>
        <CardTitle as="h3">Descriptions and webhooks</CardTitle>
        <CardDescription>How events are described, and where webhooks may be sent.</CardDescription>
      </CardHeader>
      <form noValidate onSubmit={(e) => void form.handleSubmit(save)(e)} onChange={() => setNotice(null)}>
        <CardContent className="space-y-5">
          <div className="space-y-1.5">
            <Label htmlFor="ai-description-prompt">Description prompt</Label>
            <Textarea
              id="ai-description-prompt"
              rows={3}
              aria-invalid={promptError ? true : undefined}
              aria-describedby={promptError ? "ai-description-prompt-error" : undefined}
              {...form.register("prompt")}
            />
            {promptError ? (
              <p id="ai-description-prompt-error" className="text-xs text-destructive" data-testid="ai-description-prompt-error">
                {promptError}
              </p>
            ) : null}
          </div>
          <div className="max-w-56 space-y-1.5">
            <Label htmlFor="ai-max-tokens">Max tokens per description</Label>
            <Input
              id="ai-max-tokens"
              type="number"
              inputMode="numeric"
              min={MAX_TOKENS_MIN}
              max={MAX_TOKENS_MAX}
              aria-invalid={tokensError ? true : undefined}
              aria-describedby="ai-max-tokens-hint"
              {...form.register("maxTokens")}
            />
            <FieldHint
              id="ai-max-tokens-hint"
              className={tokensError ? "text-destructive" : undefined}
              data-testid="ai-max-tokens-hint"
            >
              {tokensError ?? `${MAX_TOKENS_MIN} to ${MAX_TOKENS_MAX}.`}
            </FieldHint>
          </div>
          <div className="flex items-start justify-between gap-4 rounded-lg border p-4">
            <div>
              <p id="block-private-label" className="text-sm font-medium">
                Block webhooks to private networks
              </p>
              <p id="block-private-hint" className="mt-0.5 text-xs text-muted-foreground">
                Refuse webhook URLs that resolve to local or private addresses (10.x, 192.168.x, localhost…). Turn off
                to reach services on your own network, such as Home Assistant.
              </p>
            </div>
            <Controller
              control={form.control}
              name="blockPrivate"
              render={({ field }) => (
                <Switch
                  checked={field.value}
                  onCheckedChange={(v) => {
                    field.onChange(v);
                    setNotice(null);
                  }}
                  aria-labelledby="block-private-label"
                  aria-describedby="block-private-hint"
                  data-testid="webhook-block-private-networks"
                />
              )}
            />
          </div>
        </CardContent>
        <CardFooter>
          <Button type="submit" disabled={isSubmitting} data-testid="general-settings-save">
            {isSubmitting ? <Spinner /> : <Save aria-hidden />} Save settings
          </Button>
          <NoticeText notice={notice} />
        </CardFooter>
      </form>
    </Card>
  );
}
