"use client";

import * as React from "react";
import { KeyRound, Plus, UserCheck, UserPlus, UserX, Users } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { Label, Select } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { ConfirmDeleteButton, FormHeader, ListNotices, ResourceList } from "@/components/crud";
import { EmptyState, PageHeader } from "@/components/states";
import { PASSWORD_POLICY, TextField, checkNewPassword, useFormSubmit } from "@/components/auth/field";
import { ROLE_LABEL } from "@/components/auth/user-menu";
import { useAuth } from "@/components/auth-provider";
import { api, errorMessage } from "@/lib/api";
import { ROLES, type Role, type User } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime, formatRelative } from "@/lib/utils";

const ROLE_HINT: Record<Role, string> = {
  admin: "Admin: everything, including settings, credentials, users and tokens.",
  viewer: "Viewer: events, notifications, and camera names and status. Never settings or credentials.",
};

export function UsersView() {
  const users = useApiQuery(queryKeys.users, (signal) => api.users.list(signal));
  const [creating, setCreating] = React.useState(false);
  const [notice, setNotice] = React.useState<string | null>(null);

  function replace(user: User) {
    users.setData((prev) => (prev ?? []).map((u) => (u.id === user.id ? user : u)));
  }

  return (
    <>
      <PageHeader
        title="Users"
        description="Who may sign in to this dashboard, and with which role."
        actions={
          creating ? null : (
            <Button
              onClick={() => {
                setNotice(null);
                setCreating(true);
              }}
              data-testid="user-add"
            >
              <Plus aria-hidden /> Add user
            </Button>
          )
        }
      />
      <div className="space-y-6">
        <ListNotices notice={notice} actionError={null} onDismiss={() => setNotice(null)} />
        {creating ? (
          <UserCreateForm
            onCancel={() => setCreating(false)}
            onCreated={(user) => {
              users.setData((prev) => [...(prev ?? []), user]);
              setCreating(false);
              setNotice(`User “${user.username}” created.`);
            }}
          />
        ) : null}
        <ResourceList
          resource={users}
          loadingLabel="Loading users…"
          empty={<EmptyState icon={<Users />} title="No users" />}
        >
          {(list) => (
            <ul className="space-y-3" aria-label="Users" data-testid="user-list">
              {list.map((user) => (
                <li key={user.id}>
                  <UserRow
                    user={user}
                    onChanged={(u, message) => {
                      replace(u);
                      setNotice(message);
                    }}
                    onDeleted={() => {
                      users.setData((prev) => (prev ?? []).filter((u) => u.id !== user.id));
                      setNotice(`User “${user.username}” deleted.`);
                    }}
                  />
                </li>
              ))}
            </ul>
          )}
        </ResourceList>
      </div>
    </>
  );
}

function RoleSelect({ id, value, onChange, disabled, label }: { id: string; value: Role; onChange: (r: Role) => void; disabled?: boolean; label?: string }) {
  return (
    <Select id={id} value={value} onChange={(e) => onChange(e.target.value as Role)} disabled={disabled} aria-label={label} className="h-9 w-32">
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {ROLE_LABEL[r]}
        </option>
      ))}
    </Select>
  );
}

function UserCreateForm({ onCreated, onCancel }: { onCreated: (user: User) => void; onCancel: () => void }) {
  const [username, setUsername] = React.useState("");
  const [password, setPassword] = React.useState("");
  const [confirm, setConfirm] = React.useState("");
  const [role, setRole] = React.useState<Role>("viewer");
  const { errors, formError, busy, submit } = useFormSubmit();

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const name = username.trim();
    const found: Record<string, string> = {};
    if (!name) found.username = "Enter a username.";
    Object.assign(found, checkNewPassword(password, confirm, { username: name }));
    await submit(found, async () => {
      onCreated(await api.users.create({ username: name, password, role }));
    });
  }

  return (
    <Card data-testid="user-form">
      <FormHeader title="Add a user" description="They sign in with this username and password, and can change the password later." />
      <form onSubmit={(e) => void onSubmit(e)} noValidate>
        <CardContent className="grid gap-4 sm:grid-cols-2">
          {formError ? (
            <Alert tone="error" className="sm:col-span-2">
              {formError}
            </Alert>
          ) : null}
          <TextField
            id="user-username"
            label="Username"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            error={errors.username}
          />
          <div className="space-y-1.5">
            <Label htmlFor="user-role">Role</Label>
            <RoleSelect id="user-role" value={role} onChange={setRole} />
            <p className="text-xs text-muted-foreground">{ROLE_HINT[role]}</p>
          </div>
          <TextField
            id="user-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={errors.password}
            hint={PASSWORD_POLICY}
          />
          <TextField
            id="user-confirm"
            label="Confirm password"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            error={errors.confirm}
          />
        </CardContent>
        <CardFooter>
          <Button type="submit" disabled={busy} data-testid="user-save">
            {busy ? <Spinner /> : <UserPlus aria-hidden />} Create user
          </Button>
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}

function UserRow({
  user,
  onChanged,
  onDeleted,
}: {
  user: User;
  onChanged: (user: User, message: string) => void;
  onDeleted: () => void;
}) {
  const auth = useAuth();
  const isSelf = auth.user?.id === user.id;
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [resetting, setResetting] = React.useState(false);
  const [confirmDelete, setConfirmDelete] = React.useState(false);
  const [deleting, setDeleting] = React.useState(false);
  const nameId = `user-${user.id}-name`;

  async function update(patch: Parameters<typeof api.users.update>[1], message: string) {
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.users.update(user.id, patch), message);
    } catch (err) {
      setError(`Could not update “${user.username}”: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setDeleting(true);
    setError(null);
    try {
      await api.users.remove(user.id);
      onDeleted();
    } catch (err) {
      setError(`Could not delete “${user.username}”: ${errorMessage(err)}`);
      setDeleting(false);
      setConfirmDelete(false);
    }
  }

  return (
    <Card className="p-4 sm:p-5" data-testid="user-row" aria-labelledby={nameId}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={nameId} className="font-semibold break-all">
              {user.username}
            </h3>
            {isSelf ? <Badge tone="info">You</Badge> : null}
            <Badge tone={user.is_active ? "success" : "neutral"} data-testid="user-status">
              {user.is_active ? "Active" : "Disabled"}
            </Badge>
          </div>
          <p className="mt-1 text-xs text-muted-foreground">
            Created {formatDateTime(user.created_at)} · Last sign-in{" "}
            {user.last_login_at ? (
              <time dateTime={user.last_login_at} title={formatDateTime(user.last_login_at)}>
                {formatRelative(user.last_login_at)}
              </time>
            ) : (
              "never"
            )}
          </p>
        </div>
        <div className="flex items-center gap-2">
          <Label htmlFor={`user-${user.id}-role`} className="text-muted-foreground">
            Role
          </Label>
          <RoleSelect
            id={`user-${user.id}-role`}
            value={user.role}
            disabled={busy}
            label={`Role of ${user.username}`}
            onChange={(role) => void update({ role }, `“${user.username}” is now ${ROLE_LABEL[role].toLowerCase()}.`)}
          />
        </div>
      </div>
      {error ? (
        <p role="alert" className="mt-3 rounded-md bg-danger-soft px-3 py-2 text-sm text-destructive" data-testid="user-error">
          {error}
        </p>
      ) : null}
      {resetting ? (
        <ResetPasswordForm
          user={user}
          onCancel={() => setResetting(false)}
          onDone={(u) => {
            setResetting(false);
            onChanged(u, `Password of “${user.username}” reset. Their sessions were signed out.`);
          }}
        />
      ) : null}
      <div className="mt-4 flex flex-wrap items-center gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={busy}
          onClick={() =>
            void update(
              { is_active: !user.is_active },
              user.is_active ? `“${user.username}” disabled and signed out.` : `“${user.username}” enabled.`,
            )
          }
        >
          {user.is_active ? <UserX aria-hidden /> : <UserCheck aria-hidden />}
          {user.is_active ? "Disable" : "Enable"}
        </Button>
        {!resetting ? (
          <Button variant="outline" size="sm" onClick={() => setResetting(true)}>
            <KeyRound aria-hidden /> Reset password
          </Button>
        ) : null}
        <div className="ml-auto">
          <ConfirmDeleteButton
            confirming={confirmDelete}
            onConfirmingChange={setConfirmDelete}
            onConfirm={() => void remove()}
            busy={deleting}
            groupLabel={`Confirm deleting ${user.username}`}
            triggerLabel={`Delete ${user.username}`}
            prompt="Delete this user?"
          />
        </div>
      </div>
    </Card>
  );
}

function ResetPasswordForm({ user, onDone, onCancel }: { user: User; onDone: (u: User) => void; onCancel: () => void }) {
  const [password, setPassword] = React.useState("");
  const [confirm, setConfirm] = React.useState("");
  const { errors, formError, busy, submit } = useFormSubmit();
  const idp = `user-${user.id}-reset`;

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const found = checkNewPassword(password, confirm, { username: user.username });
    await submit(found, async () => {
      onDone(await api.users.update(user.id, { password }));
    });
  }

  return (
    <form className="mt-4 space-y-3 rounded-lg border bg-muted/40 p-3" onSubmit={(e) => void onSubmit(e)} noValidate aria-label={`New password for ${user.username}`}>
      {formError ? <Alert tone="error">{formError}</Alert> : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <TextField
          id={`${idp}-password`}
          label="New password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          hint={PASSWORD_POLICY}
          autoFocus
        />
        <TextField
          id={`${idp}-confirm`}
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={errors.confirm}
        />
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" size="sm" disabled={busy}>
          {busy ? <Spinner /> : null} Set password
        </Button>
        <Button variant="ghost" size="sm" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
