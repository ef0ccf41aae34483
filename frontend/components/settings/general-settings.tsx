"use client";

import * as React from "react";
import { Save } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FieldHint, Input, Label, Textarea } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { NoticeText } from "@/components/crud";
import { api } from "@/lib/api";
import type { Settings } from "@/lib/types";
import { useSaveNotice } from "@/lib/use-save-notice";

export function GeneralSettings({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const [prompt, setPrompt] = React.useState(settings.ai_description_prompt ?? "");
  const [maxTokens, setMaxTokens] = React.useState(String(settings.ai_max_tokens ?? ""));
  const [blockPrivate, setBlockPrivate] = React.useState(Boolean(settings.webhook_block_private_networks));
  const { saving, notice, setNotice, run } = useSaveNotice();

  const tokens = Number(maxTokens);
  const tokensInvalid = maxTokens !== "" && (!Number.isInteger(tokens) || tokens < 1 || tokens > 4096);

  async function save() {
    if (tokensInvalid) return;
    await run(async () => {
      const patch: Partial<Settings> = { webhook_block_private_networks: blockPrivate };
      if (prompt.trim()) patch.ai_description_prompt = prompt;
      if (maxTokens !== "") patch.ai_max_tokens = tokens;
      const next = await api.settings.update(patch);
      onSaved(next);
      return "Settings saved.";
    });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle as="h3">Descriptions and webhooks</CardTitle>
        <CardDescription>How events are described, and where webhooks may be sent.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-5">
        <div className="space-y-1.5">
          <Label htmlFor="ai-description-prompt">Description prompt</Label>
          <Textarea
            id="ai-description-prompt"
            value={prompt}
            onChange={(e) => {
              setPrompt(e.target.value);
              setNotice(null);
            }}
            rows={3}
          />
        </div>
        <div className="max-w-48 space-y-1.5">
          <Label htmlFor="ai-max-tokens">Max tokens per description</Label>
          <Input
            id="ai-max-tokens"
            type="number"
            inputMode="numeric"
            min={1}
            max={4096}
            value={maxTokens}
            onChange={(e) => {
              setMaxTokens(e.target.value);
              setNotice(null);
            }}
            aria-invalid={tokensInvalid || undefined}
            aria-describedby="ai-max-tokens-hint"
          />
          <FieldHint id="ai-max-tokens-hint" className={tokensInvalid ? "text-destructive" : undefined}>
            {tokensInvalid ? "Enter a whole number from 1 to 4096." : "1 to 4096."}
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
          <Switch
            checked={blockPrivate}
            onCheckedChange={(v) => {
              setBlockPrivate(v);
              setNotice(null);
            }}
            aria-labelledby="block-private-label"
            aria-describedby="block-private-hint"
            data-testid="webhook-block-private-networks"
          />
        </div>
      </CardContent>
      <CardFooter>
        <Button onClick={() => void save()} disabled={saving || tokensInvalid} data-testid="general-settings-save">
          {saving ? <Spinner /> : <Save aria-hidden />} Save settings
        </Button>
        <NoticeText notice={notice} />
      </CardFooter>
    </Card>
  );
}
