"use client";

import * as React from "react";
import { Controller, useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { FieldHint, Input, Label, Textarea } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { SaveFooter } from "@/components/crud";
import { serverFieldErrors } from "@/components/auth/field";
import {
  MAX_TOKENS_MAX,
  MAX_TOKENS_MIN,
  PROMPT_MAX,
  SERVER_FIELDS,
  SERVER_FIELD_MESSAGES,
  draftFrom,
  generalSettingsSchema,
  isGeneralField,
  patchFrom,
  type GeneralDraft,
} from "@/components/settings/general-settings-schema";
import { api, errorMessage } from "@/lib/api";
import type { Settings } from "@/lib/types";
import { cn } from "@/lib/utils";
import type { Notice } from "@/lib/use-save-notice";

interface ControlProps {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string;
}

/** A labelled control with one line under it: its hint, or its error in the hint's place. */
function SettingsField({
  id,
  label,
  hint,
  error,
  className,
  children,
}: {
  id: string;
  label: string;
  hint: string;
  error?: string;
  className?: string;
  children: (control: ControlProps) => React.ReactNode;
}) {
  return (
    <div className={cn("space-y-1.5", className)}>
      <Label htmlFor={id}>{label}</Label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": `${id}-hint` })}
      <FieldHint id={`${id}-hint`} className={error ? "text-destructive" : undefined} data-testid={`${id}-hint`}>
        {error ?? hint}
      </FieldHint>
    </div>
  );
}

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
    try {
      const next = await api.settings.update(patchFrom(values));
      form.reset(draftFrom(next));
      onSaved(next);
      setNotice({ tone: "success", text: "Settings saved." });
    } catch (err) {
      const known = Object.keys(serverFieldErrors(err, SERVER_FIELDS)).filter(isGeneralField);
      // The server's own words are validator text: say it the form's way, at the field.
      for (const name of known) form.setError(name, { message: SERVER_FIELD_MESSAGES[name] }, { shouldFocus: true });
      if (!known.length) setNotice({ tone: "error", text: errorMessage(err) });
    }
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle as="h3">Descriptions and webhooks</CardTitle>
        <CardDescription>How events are described, and where webhooks may be sent.</CardDescription>
      </CardHeader>
      <form noValidate onSubmit={(e) => void form.handleSubmit(save)(e)} onChange={() => setNotice(null)}>
        <CardContent className="space-y-5">
          <SettingsField
            id="ai-description-prompt"
            label="Description prompt"
            hint={`What the AI is asked about each image; up to ${PROMPT_MAX} characters.`}
            error={errors.prompt?.message}
          >
            {(control) => <Textarea rows={3} {...control} {...form.register("prompt")} />}
          </SettingsField>
          <SettingsField
            id="ai-max-tokens"
            label="Max tokens per description"
            hint={`${MAX_TOKENS_MIN} to ${MAX_TOKENS_MAX}.`}
            error={errors.maxTokens?.message}
            className="max-w-56"
          >
            {(control) => (
              <Input type="number" inputMode="numeric" min={MAX_TOKENS_MIN} max={MAX_TOKENS_MAX} {...control} {...form.register("maxTokens")} />
            )}
          </SettingsField>
          <div className="flex items-start justify-between gap-4 rounded-lg border p-4">
            <div>
              <p id="block-private-label" className="text-sm font-medium">
                Block webhooks to private networks
              </p>
              <p id="block-private-hint" className="mt-0.5 text-xs text-muted-foreground">
                Refuse webhook URLs that resolve to local or private addresses (10.x, 192.168.x, localhost…). Turn off
                to reach services on your own network, such as Home Assistant.
              </p>
              {errors.blockPrivate ? (
                <p id="block-private-error" className="mt-1 text-xs text-destructive">
                  {errors.blockPrivate.message}
                </p>
              ) : null}
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
                  aria-describedby={errors.blockPrivate ? "block-private-hint block-private-error" : "block-private-hint"}
                  aria-invalid={errors.blockPrivate ? true : undefined}
                  data-testid="webhook-block-private-networks"
                />
              )}
            />
          </div>
        </CardContent>
        <SaveFooter label="Save settings" saving={isSubmitting} notice={notice} testId="general-settings-save" />
      </form>
    </Card>
  );
}
