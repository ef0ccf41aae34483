"use client";

import * as React from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { UserPlus } from "lucide-react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { ErrorState, LoadingState } from "@/components/states";
import { FormTextField, useServerSubmit } from "@/components/auth/field";
import { NewPasswordFields } from "@/components/auth/new-password-fields";
import { NEW_PASSWORD_DEFAULTS, withNewPassword } from "@/components/auth/password-schema";
import { KeyBackup } from "@/components/auth/key-backup";
import { useAuth } from "@/components/auth-provider";
import { api, isApiError } from "@/lib/api";
import { cn } from "@/lib/utils";

function Steps({ step }: { step: "account" | "key" }) {
  const items = [
    { id: "account", label: "Owner account" },
    { id: "key", label: "Encryption key" },
  ] as const;
  return (
    <ol className="mb-4 flex items-center gap-2 text-sm" aria-label="Set-up steps">
      {items.map((item, i) => {
        const current = item.id === step;
        const done = step === "key" && item.id === "account";
        return (
          <li key={item.id} className="flex items-center gap-2" aria-current={current ? "step" : undefined}>
            <span
              className={cn(
                "flex size-6 items-center justify-center rounded-full border text-xs font-semibold",
                current ? "border-primary bg-primary text-primary-foreground" : done ? "border-success text-success" : "text-muted-foreground",
              )}
            >
              {i + 1}
            </span>
            <span className={current ? "font-medium" : "text-muted-foreground"}>{item.label}</span>
            {i < items.length - 1 ? <span aria-hidden className="mx-1 h-px w-6 bg-border" /> : null}
          </li>
        );
      })}
    </ol>
  );
}

/** First run: create the owner account, then see where the key lives and confirm its backup. */
export function SetupWizard() {
  const router = useRouter();
  const auth = useAuth();
  // Set once the owner account exists: the key step follows, whatever the sign-in state says.
  const [created, setCreated] = React.useState(false);
  const status = auth.state.status;
  const step = created ? "key" : status === "setup" ? "account" : "wait";

  // Onboarding only while no user exists: otherwise the dashboard, or the sign-in page.
  React.useEffect(() => {
    if (created) return;
    if (status === "signed-in") router.replace("/");
    else if (status === "anonymous") router.replace("/login");
  }, [created, status, router]);

  if (step === "wait") {
    if (auth.state.status === "error")
      return <ErrorState message={auth.state.message} onRetry={() => void auth.reload()} />;
    return <LoadingState label="Loading…" rows={1} />;
  }

  return (
    <div className="w-full max-w-xl">
      <h1 className="mb-1 text-2xl font-semibold tracking-tight">Welcome</h1>
      <p className="mb-5 text-sm text-muted-foreground">
        Two steps before the dashboard opens: an owner account, then a look at your encryption key.
      </p>
      <Steps step={step} />
      {step === "account" ? (
        <OwnerAccountForm onCreated={() => setCreated(true)} />
      ) : (
        <KeyBackup onDone={() => router.replace("/")} onLater={() => router.replace("/")} />
      )}
    </div>
  );
}

const ownerSchema = withNewPassword({ username: z.string().trim().min(1, "Choose a username.") });
type OwnerValues = z.infer<typeof ownerSchema>;

function AlreadySetUp() {
  return (
    <>
      This installation already has an owner account.{" "}
      <Link href="/login" className="font-medium underline">
        Sign in
      </Link>{" "}
      instead.
    </>
  );
}

export function OwnerAccountForm({ onCreated }: { onCreated: () => void }) {
  const auth = useAuth();
  const form = useForm<OwnerValues>({ resolver: zodResolver(ownerSchema), defaultValues: { username: "", ...NEW_PASSWORD_DEFAULTS } });
  const { onSubmit, formError, busy } = useServerSubmit(
    form,
    async ({ username, password }) => {
      const result = await api.auth.setup({ username, password });
      form.reset({ username, ...NEW_PASSWORD_DEFAULTS });
      onCreated();
      auth.signedIn(result.user);
    },
    { alertFor: (err) => (isApiError(err) && err.status === 409 ? <AlreadySetUp /> : null) },
  );

  return (
    <Card data-testid="setup-account">
      <CardHeader>
        <CardTitle as="h2">Create the owner account</CardTitle>
        <CardDescription>
          This account manages cameras, keys, rules and other users. Nobody can use the dashboard or the API without signing in.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form className="space-y-4" onSubmit={onSubmit} noValidate>
          {formError ? <Alert tone="error">{formError}</Alert> : null}
          <FormTextField
            form={form}
            name="username"
            id="setup-username"
            label="Username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
          />
          <NewPasswordFields form={form} idPrefix="setup" />
          <Button type="submit" disabled={busy} data-testid="setup-submit">
            {busy ? <Spinner /> : <UserPlus aria-hidden />} Create account
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
