"use client";

import * as React from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { LogIn } from "lucide-react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { TextField } from "@/components/auth/field";
import { useAuth } from "@/components/auth-provider";
import { safeNextPath } from "@/lib/access";
import { api, errorMessage, isApiError } from "@/lib/api";

/** A countdown in whole seconds: `start(n)` begins it; `remaining` is 0 when none runs. */
export function useCountdown(): { remaining: number; start: (seconds: number) => void } {
  const [clock, setClock] = React.useState<{ until: number; now: number } | null>(null);
  const until = clock?.until ?? null;
  React.useEffect(() => {
    if (until === null) return;
    const id = window.setInterval(() => {
      const now = Date.now();
      setClock(now >= until ? null : { until, now });
    }, 250);
    return () => window.clearInterval(id);
  }, [until]);
  const start = React.useCallback((seconds: number) => {
    const now = Date.now();
    setClock(seconds > 0 ? { until: now + seconds * 1000, now } : null);
  }, []);
  return { remaining: clock ? Math.max(0, Math.ceil((clock.until - clock.now) / 1000)) : 0, start };
}

/** What the browser checks before asking: both fields filled in (the rest is the server's answer). */
export const loginSchema = z.object({ username: z.string().trim().min(1), password: z.string().min(1) });
type LoginValues = z.infer<typeof loginSchema>;
const MISSING = "Enter your username and password.";

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const auth = useAuth();
  const next = safeNextPath(params?.get("next"));
  const form = useForm<LoginValues>({ resolver: zodResolver(loginSchema), defaultValues: { username: "", password: "" } });
  const [error, setError] = React.useState<string | null>(null);
  const busy = form.formState.isSubmitting;
  const { remaining, start: startCountdown } = useCountdown();
  const locked = remaining > 0;

  // Signed in (now or already): back to where the user was.
  React.useEffect(() => {
    if (auth.state.status === "signed-in") router.replace(next);
  }, [auth.state.status, next, router]);

  async function signIn(values: LoginValues) {
    setError(null);
    try {
      const result = await api.auth.login(values);
      form.setValue("password", "");
      auth.signedIn(result.user);
    } catch (err) {
      form.setValue("password", "");
      if (isApiError(err) && err.status === 429) {
        startCountdown(err.retryAfter ?? 60);
      } else if (isApiError(err) && err.status === 401) {
        setError(err.message || "Wrong username or password.");
        form.setFocus("password");
      } else {
        setError(errorMessage(err));
      }
    }
  }

  function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    if (locked || busy) return;
    void form.handleSubmit(signIn, () => setError(MISSING))(e);
  }

  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <h1 className="text-xl leading-tight font-semibold">Sign in</h1>
        <CardDescription>Sign in to see your cameras and events.</CardDescription>
      </CardHeader>
      <CardContent>
        <form className="space-y-4" onSubmit={onSubmit} noValidate data-testid="login-form">
          {locked ? (
            <Alert tone="error" data-testid="login-error">
              Too many failed sign-ins. Wait for the countdown, then try again.
            </Alert>
          ) : error ? (
            <Alert tone="error" data-testid="login-error">
              {error}
            </Alert>
          ) : null}
          <TextField
            id="login-username"
            label="Username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            {...form.register("username")}
            required
          />
          <TextField
            id="login-password"
            label="Password"
            type="password"
            autoComplete="current-password"
            {...form.register("password")}
            required
          />
          <Button type="submit" className="w-full" disabled={busy || locked} data-testid="login-submit">
            {busy ? <Spinner /> : <LogIn aria-hidden />}
            {locked ? `Try again in ${remaining} s` : "Sign in"}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
