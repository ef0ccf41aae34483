"use client";

import * as React from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { UserPlus } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { ErrorState, LoadingState } from "@/components/states";
import { withoutError } from "@/components/ui/input";
import { PASSWORD_POLICY, TextField, checkNewPassword, serverFieldErrors } from "@/components/auth/field";
import { KeyBackup } from "@/components/auth/key-backup";
import { useAuth } from "@/components/auth-provider";
import { api, errorMessage, isApiError } from "@/lib/api";
import { cn } from "@/lib/utils";

const USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

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

export function OwnerAccountForm({ onCreated }: { onCreated: () => void }) {
  const auth = useAuth();
  const [username, setUsername] = React.useState("");
  const [password, setPassword] = React.useState("");
  const [confirm, setConfirm] = React.useState("");
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [formError, setFormError] = React.useState<React.ReactNode>(null);
  const [busy, setBusy] = React.useState(false);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const found: Record<string, string> = {};
    const name = username.trim();
    if (!name) found.username = "Choose a username.";
    else if (!USERNAME_RE.test(name)) found.username = "Use up to 64 letters, digits, dots, dashes, underscores or @.";
    Object.assign(found, checkNewPassword(password, confirm, { username: name }));
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const result = await api.auth.setup({ username: name, password });
      setPassword("");
      setConfirm("");
      onCreated();
      auth.signedIn(result.user);
    } catch (err) {
      const fields = serverFieldErrors(err);
      if (Object.keys(fields).length > 0) setErrors(fields);
      else if (isApiError(err) && err.status === 409)
        setFormError(
          <>
            This installation already has an owner account.{" "}
            <Link href="/login" className="font-medium underline">
              Sign in
            </Link>{" "}
            instead.
          </>,
        );
      else setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card data-testid="setup-account">
      <CardHeader>
        <CardTitle as="h2">Create the owner account</CardTitle>
        <CardDescription>
          This account manages cameras, keys, rules and other users. Nobody can use the dashboard or the API without signing in.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form className="space-y-4" onSubmit={(e) => void onSubmit(e)} noValidate>
          {formError ? <Alert tone="error">{formError}</Alert> : null}
          <TextField
            id="setup-username"
            label="Username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => {
              setUsername(e.target.value);
              setErrors((prev) => withoutError(prev, "username"));
            }}
            error={errors.username}
          />
          <TextField
            id="setup-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setErrors((prev) => withoutError(prev, "password"));
            }}
            error={errors.password}
            hint={PASSWORD_POLICY}
          />
          <TextField
            id="setup-confirm"
            label="Confirm password"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => {
              setConfirm(e.target.value);
              setErrors((prev) => withoutError(prev, "confirm"));
            }}
            error={errors.confirm}
          />
          <Button type="submit" disabled={busy} data-testid="setup-submit">
            {busy ? <Spinner /> : <UserPlus aria-hidden />} Create account
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
