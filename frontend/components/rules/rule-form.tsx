"use client";

import * as React from "react";
import { Save } from "lucide-react";
import { FormProvider, useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { FormHeader } from "@/components/crud";
import { ActionsSection, BasicsSection, ConditionsSection, ScheduleFields } from "@/components/rules/rule-sections";
import { draftFrom, ruleDraftSchema, ruleServerErrors, toInput, type RuleDraft } from "@/components/rules/rule-schema";
import { api, errorMessage, isApiError } from "@/lib/api";
import type { HeaderPolicy } from "@/lib/rules";
import type { AlertRule, Camera } from "@/lib/types";
import { closeOnEscape } from "@/lib/utils";

/** Create or edit an alert rule: basics, conditions (with the schedule), actions (with the webhook). */
export function RuleForm({
  rule,
  cameras,
  onSaved,
  onCancel,
  policy,
}: {
  rule: AlertRule | null;
  /** How the server treats webhook headers (GET /alert-rules/header-policy). */
  policy: HeaderPolicy;
  cameras: Camera[];
  onSaved: (rule: AlertRule, created: boolean) => void;
  onCancel: () => void;
}) {
  const editing = rule !== null;
  const storedUrl = rule?.actions.webhook?.url ?? null;
  const schema = React.useMemo(() => ruleDraftSchema(storedUrl, policy), [storedUrl, policy]);
  const form = useForm<RuleDraft>({
    resolver: zodResolver(schema),
    defaultValues: draftFrom(rule, policy),
    reValidateMode: "onSubmit",
  });
  const { setError, setValue, getValues, formState } = form;
  const idp = editing ? `rule-${rule.id}` : "rule-new";
  const formError = formState.errors.root?.message ?? null;

  async function save(draft: RuleDraft) {
    try {
      const input = toInput(draft, storedUrl, policy);
      const saved = editing ? await api.alertRules.update(rule.id, input) : await api.alertRules.create(input);
      onSaved(saved, !editing);
    } catch (err) {
      if (isApiError(err) && err.code === "secret_required") {
        // The URL's origin changed: every stored secret header must be typed again.
        setValue(
          "headers",
          getValues("headers").map((h) => (h.stored && !h.value ? { ...h, needsValue: true } : h)),
        );
      }
      // The server's field errors at their fields; its message above the form.
      for (const [path, message] of ruleServerErrors(err, getValues("headers"))) setError(path, { message });
      setError("root", { message: errorMessage(err) });
    }
  }

  const onSubmit = form.handleSubmit(save, () => setError("root", { message: "Please fix the highlighted fields." }));

  return (
    <Card className="border-primary/30 shadow-md" data-testid="rule-form">
      <FormProvider {...form}>
        <form onSubmit={(e) => void onSubmit(e)} onKeyDown={closeOnEscape(onCancel)} noValidate>
          <FormHeader
            title={editing ? `Edit “${rule.name}”` : "New alert rule"}
            description="An event that matches every condition runs the actions. Empty conditions match anything."
          />
          <CardContent className="space-y-8">
            {formError ? <Alert tone="error">{formError}</Alert> : null}
            <BasicsSection idp={idp} />
            <ConditionsSection idp={idp} cameras={cameras}>
              <ScheduleFields idp={idp} />
            </ConditionsSection>
            <ActionsSection idp={idp} storedUrl={storedUrl} policy={policy} />
          </CardContent>
          <CardFooter className="justify-end">
            <Button variant="ghost" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" disabled={formState.isSubmitting} data-testid="rule-save">
              {formState.isSubmitting ? <Spinner /> : <Save aria-hidden />}
              {editing ? "Save rule" : "Create rule"}
            </Button>
          </CardFooter>
        </form>
      </FormProvider>
    </Card>
  );
}
