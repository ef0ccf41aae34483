"use client";

import * as React from "react";
import { useForm, useWatch } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { Cable, PlugZap, Save, Usb, Video } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { FieldHint, Input, Label, fieldErrorText } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { FormHeader } from "@/components/crud";
import { TextField } from "@/components/auth/field";
import { SecretInput } from "@/components/secret-input";
import { CameraTestResultView, type CameraTestState } from "@/components/cameras/camera-test-result";
import { cameraDraftSchema, cameraDraftErrors, draftFrom, payloadFrom, type CameraDraft } from "@/components/cameras/camera-schema";
import { api, errorMessage, isApiError } from "@/lib/api";
import type { Camera } from "@/lib/types";
import { queryKeys } from "@/lib/query";
import { closeOnEscape, cn } from "@/lib/utils";
import { useQueryClient } from "@tanstack/react-query";

export function CameraForm({
  camera,
  onSaved,
  onCancel,
}: {
  camera: Camera | null;
  onSaved: (camera: Camera, created: boolean) => void;
  onCancel: () => void;
}) {
  const editing = camera !== null;
  const queryClient = useQueryClient();
  const form = useForm<CameraDraft>({
    resolver: zodResolver(cameraDraftSchema),
    defaultValues: draftFrom(camera),
    reValidateMode: "onSubmit",
  });
  const draft = useWatch({ control: form.control }) as CameraDraft;
  const errors: Record<string, string> = {};
  for (const [name, error] of Object.entries(form.formState.errors)) {
    if (name !== "root" && typeof error?.message === "string") errors[name] = error.message;
  }
  const formError = form.formState.errors.root?.message ?? null;
  const saving = form.formState.isSubmitting;
  const [passwordRequired, setPasswordRequired] = React.useState<string | null>(null);
  const [test, setTest] = React.useState<CameraTestState>({ kind: "idle" });
  const passwordRef = React.useRef<HTMLInputElement>(null);
  const idp = editing ? `camera-${camera.id}` : "camera-new";

  const passwordStored = editing && (camera.credential_status === "set" || camera.password === "****");
  const savedDetails = draftFrom(camera);
  const detailsChanged =
    draft.type !== savedDetails.type ||
    draft.rtsp_url.trim() !== savedDetails.rtsp_url ||
    draft.username.trim() !== savedDetails.username ||
    draft.device_index !== savedDetails.device_index;

  function set<K extends keyof CameraDraft>(key: K, value: CameraDraft[K]) {
    form.setValue(key, value as never);
    form.clearErrors([key, "root"] as never);
    if (key !== "name" && key !== "is_enabled") setTest({ kind: "idle" });
    if (key === "password" && value) setPasswordRequired(null);
  }

  function showErrors(found: Record<string, string>) {
    for (const [field, message] of Object.entries(found)) form.setError(field as keyof CameraDraft, { message });
  }

  async function runTest() {
    const found = cameraDraftErrors(draft, { forTest: true });
    if (Object.keys(found).length) {
      showErrors(found);
      return;
    }
    setTest({ kind: "testing" });
    try {
      // An unchanged saved camera is tested with its stored password.
      const result =
        editing && !draft.password && !detailsChanged
          ? await api.cameras.testSaved(camera.id)
          : await api.cameras.test({ ...payloadFrom(draft, false), name: draft.name.trim() || "Test" });
      setTest({ kind: "done", result });
    } catch (err) {
      setTest({ kind: "error", message: errorMessage(err) });
    }
    // A saved camera's test is remembered: its card shows the new status and snapshot.
    if (editing) await queryClient.invalidateQueries({ queryKey: queryKeys.cameras });
  }

  async function save(d: CameraDraft) {
    try {
      const body = payloadFrom(d);
      const saved = editing ? await api.cameras.update(camera.id, body) : await api.cameras.create(body);
      onSaved(saved, !editing);
    } catch (err) {
      if (isApiError(err) && err.status === 422 && err.code === "password_required") {
        setPasswordRequired(err.message);
        passwordRef.current?.focus();
      } else if (isApiError(err) && err.fieldErrors.length) {
        // The server's field errors at their fields (the body's field names are the form's).
        const fields: Record<string, string> = {};
        for (const f of err.fieldErrors) fields[f.field.split(".").pop() || f.field] = f.message;
        showErrors(fields);
        form.setError("root", { message: err.message });
      } else {
        form.setError("root", { message: errorMessage(err) });
      }
    }
  }
  const onSubmit = (e: React.FormEvent) => void form.handleSubmit(save)(e);

  return (
    <Card className="border-primary/30 shadow-md" data-testid="camera-form">
      <form onSubmit={onSubmit} onKeyDown={closeOnEscape(onCancel)} noValidate>
        <FormHeader
          title={editing ? `Edit “${camera.name}”` : "Add a camera"}
          description="RTSP network cameras or a USB camera on this machine. Passwords are stored encrypted and never shown."
        />
        <CardContent className="space-y-5">
          {formError ? <Alert tone="error">{formError}</Alert> : null}
          <div className="grid grid-cols-1 gap-5 sm:grid-cols-2">
            <TextField
              id={`${idp}-name`}
              label="Name"
              value={draft.name}
              onChange={(e) => set("name", e.target.value)}
              maxLength={100}
              placeholder="Front door"
              required
              data-testid="camera-name"
              error={errors.name}
            />
            <fieldset className="space-y-1.5">
              <legend className="mb-1.5 text-sm font-medium">Type</legend>
              <div className="grid grid-cols-2 gap-2" role="radiogroup" aria-label="Camera type">
                {(
                  [
                    { value: "rtsp", label: "RTSP stream", icon: Cable },
                    { value: "usb", label: "USB camera", icon: Usb },
                  ] as const
                ).map(({ value, label, icon: Icon }) => (
                  <label
                    key={value}
                    className={cn(
                      "flex h-10 cursor-pointer items-center gap-2 rounded-md border px-3 text-sm transition-colors has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring",
                      draft.type === value ? "border-primary bg-accent text-accent-foreground" : "hover:bg-muted",
                    )}
                  >
                    <input
                      type="radio"
                      name={`${idp}-type`}
                      value={value}
                      checked={draft.type === value}
                      onChange={() => set("type", value)}
                      className="sr-only"
                      data-testid={`camera-type-${value}`}
                    />
                    <Icon className="size-4" aria-hidden />
                    {label}
                  </label>
                ))}
              </div>
            </fieldset>
          </div>

          {draft.type === "rtsp" ? (
            <div className="grid grid-cols-1 gap-5 sm:grid-cols-2">
              <div className="space-y-1.5 sm:col-span-2">
                <Label htmlFor={`${idp}-url`}>Stream address</Label>
                <Input
                  id={`${idp}-url`}
                  value={draft.rtsp_url}
                  onChange={(e) => set("rtsp_url", e.target.value)}
                  placeholder="rtsp://192.168.1.20:554/stream1"
                  className="font-mono"
                  spellCheck={false}
                  autoComplete="off"
                  inputMode="url"
                  data-testid="camera-rtsp-url"
                  aria-invalid={errors.rtsp_url ? true : undefined}
                  aria-describedby={errors.rtsp_url ? `${idp}-rtsp_url-error` : `${idp}-url-hint`}
                />
                {fieldErrorText(errors, idp, "rtsp_url") ?? (
                  <FieldHint id={`${idp}-url-hint`}>
                    Without credentials; put them in the fields below. Changing the host asks for the password again.
                  </FieldHint>
                )}
              </div>
              <TextField
                id={`${idp}-username`}
                label="Username"
                value={draft.username}
                onChange={(e) => set("username", e.target.value)}
                autoComplete="off"
                spellCheck={false}
                data-testid="camera-username"
              />
              <div>
                <SecretInput
                  ref={passwordRef}
                  id={`${idp}-password`}
                  label="Password"
                  stored={passwordStored}
                  value={draft.password}
                  onValueChange={(v) => set("password", v)}
                  invalid={Boolean(passwordRequired)}
                  data-testid="camera-password"
                  hint={
                    passwordRequired
                      ? "Required: the address changed, so enter the password for the new host."
                      : camera?.credential_status === "undecryptable"
                        ? "The stored password can no longer be decrypted: enter it again."
                        : undefined
                  }
                />
              </div>
              {passwordRequired ? (
                <Alert tone="warning" className="sm:col-span-2" data-testid="camera-password-required">
                  {passwordRequired}
                </Alert>
              ) : null}
            </div>
          ) : (
            <TextField
              id={`${idp}-device`}
              label="Device number"
              className="max-w-48 space-y-1.5"
              type="number"
              min={0}
              inputMode="numeric"
              value={draft.device_index}
              onChange={(e) => set("device_index", e.target.value)}
              data-testid="camera-device-index"
              error={errors.device_index}
              hint={errors.device_index ? undefined : "0 is the first camera (/dev/video0)."}
            />
          )}

          <div className="flex items-center gap-3">
            <Switch
              checked={draft.is_enabled}
              onCheckedChange={(v) => set("is_enabled", v)}
              aria-labelledby={`${idp}-enabled-label`}
            />
            <span id={`${idp}-enabled-label`} className="text-sm">
              Enabled
            </span>
          </div>

          <div className="space-y-2">
            {editing && !draft.password && detailsChanged && draft.type === "rtsp" ? (
              <FieldHint>Testing changed details uses only the password typed above.</FieldHint>
            ) : null}
            <CameraTestResultView state={test} />
          </div>
        </CardContent>
        <CardFooter className="justify-between">
          <Button
            variant="outline"
            onClick={() => void runTest()}
            disabled={test.kind === "testing"}
            data-testid="camera-test"
          >
            {test.kind === "testing" ? <Spinner /> : <PlugZap aria-hidden />}
            Test connection
          </Button>
          <div className="flex gap-2">
            <Button variant="ghost" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" disabled={saving} data-testid="camera-save">
              {saving ? <Spinner /> : editing ? <Save aria-hidden /> : <Video aria-hidden />}
              {editing ? "Save changes" : "Add camera"}
            </Button>
          </div>
        </CardFooter>
      </form>
    </Card>
  );
}
