"use client";

import * as React from "react";
import { useForm, useWatch } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { KeyRound, UserCheck, UserPlus, UserX, Users } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FieldHint, Label } from "@/components/ui/input";
import { ConfirmDeleteButton, ListPage } from "@/components/crud";
import { EmptyState } from "@/components/states";
import { CreateFormCard, ItemList, LastTime, RoleSelect, RowCard, useConfirmedRemove, useCreateList } from "@/components/admin/admin-list";
import {
  USER_CREATE_DEFAULTS,
  passwordResetSchema,
  userCreateSchema,
  type PasswordResetValues,
  type UserCreateValues,
} from "@/components/admin/users-schema";
import { FormActions, FormTextField, useServerSubmit } from "@/components/auth/field";
import { NewPasswordFields } from "@/components/auth/new-password-fields";
import { NEW_PASSWORD_DEFAULTS } from "@/components/auth/password-schema";
import { ROLE_LABEL } from "@/components/auth/user-menu";
import { useAuth } from "@/components/auth-provider";
import { api, errorMessage } from "@/lib/api";
import type { Role, User } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime } from "@/lib/utils";

const ROLE_HINT: Record<Role, string> = {
  admin: "Admin: everything, including settings, credentials, users and tokens.",
  viewer: "Viewer: events, notifications, and camera names and status. Never settings or credentials.",
};

export function UsersView() {
  const users = useApiQuery(queryKeys.users, (signal) => api.users.list(signal));
  const list = useCreateList();

  function replace(user: User) {
    users.setData((prev) => (prev ?? []).map((u) => (u.id === user.id ? user : u)));
  }

  return (
    <ListPage
      title="Users"
      description="Who may sign in to this dashboard, and with which role."
      addLabel="Add user"
      addTestId="user-add"
      crud={list}
      form={
        list.creating ? (
          <UserCreateForm
            onCancel={() => list.setCreating(false)}
            onCreated={(user) => {
              users.setData((prev) => [...(prev ?? []), user]);
              list.setCreating(false);
              list.setNotice(`User “${user.username}” created.`);
            }}
          />
        ) : null
      }
      resource={users}
      loadingLabel="Loading users…"
      empty={<EmptyState icon={<Users />} title="No users" />}
    >
      {(items) => (
        <ItemList label="Users" testId="user-list" items={items}>
          {(user) => (
            <UserRow
              user={user}
              onChanged={(u, message) => {
                replace(u);
                list.setNotice(message);
              }}
              onDeleted={() => {
                users.setData((prev) => (prev ?? []).filter((u) => u.id !== user.id));
                list.setNotice(`User “${user.username}” deleted.`);
              }}
            />
          )}
        </ItemList>
      )}
    </ListPage>
  );
}

function UserCreateForm({ onCreated, onCancel }: { onCreated: (user: User) => void; onCancel: () => void }) {
  const form = useForm<UserCreateValues>({ resolver: zodResolver(userCreateSchema), defaultValues: USER_CREATE_DEFAULTS });
  const role = useWatch({ control: form.control, name: "role" });
  const { onSubmit, formError, busy } = useServerSubmit(form, async ({ username, password, role }) => {
    onCreated(await api.users.create({ username, password, role }));
  });

  return (
    <CreateFormCard
      testId="user-form"
      title="Add a user"
      description="They sign in with this username and password, and can change the password later."
      formError={formError}
      onSubmit={onSubmit}
      gridClassName="sm:grid-cols-2"
      actions={
        <FormActions
          busy={busy}
          label="Create user"
          icon={<UserPlus aria-hidden />}
          onCancel={onCancel}
          submitTestId="user-save"
        />
      }
    >
      <FormTextField form={form} name="username" id="user-username" label="Username" autoComplete="off" autoCapitalize="none" spellCheck={false} />
      <div className="space-y-1.5">
        <Label htmlFor="user-role">Role</Label>
        <RoleSelect id="user-role" className="h-9 w-32" aria-describedby="user-role-hint" {...form.register("role")} />
        <FieldHint id="user-role-hint">{ROLE_HINT[role]}</FieldHint>
      </div>
      <NewPasswordFields form={form} idPrefix="user" />
    </CreateFormCard>
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
  const remove = useConfirmedRemove({
    remove: () => api.users.remove(user.id),
    onRemoved: onDeleted,
    onError: setError,
    failure: `Could not delete “${user.username}”`,
  });

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

  return (
    <RowCard
      testId="user-row"
      title={user.username}
      titleId={`user-${user.id}-name`}
      badges={
        <>
          {isSelf ? <Badge tone="info">You</Badge> : null}
          <Badge tone={user.is_active ? "success" : "neutral"} data-testid="user-status">
            {user.is_active ? "Active" : "Disabled"}
          </Badge>
        </>
      }
      details={
        <p className="mt-1 text-xs text-muted-foreground">
          Created {formatDateTime(user.created_at)} · Last sign-in <LastTime at={user.last_login_at} never="never" />
        </p>
      }
      aside={
        <div className="flex items-center gap-2">
          <Label htmlFor={`user-${user.id}-role`} className="text-muted-foreground">
            Role
          </Label>
          <RoleSelect
            id={`user-${user.id}-role`}
            className="h-9 w-32"
            value={user.role}
            disabled={busy}
            aria-label={`Role of ${user.username}`}
            onChange={(e) => {
              const role = e.target.value as Role;
              void update({ role }, `“${user.username}” is now ${ROLE_LABEL[role].toLowerCase()}.`);
            }}
          />
        </div>
      }
    >
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
            confirming={remove.confirming}
            onConfirmingChange={remove.setConfirming}
            onConfirm={remove.remove}
            busy={remove.busy}
            groupLabel={`Confirm deleting ${user.username}`}
            triggerLabel={`Delete ${user.username}`}
            prompt="Delete this user?"
          />
        </div>
      </div>
    </RowCard>
  );
}

function ResetPasswordForm({ user, onDone, onCancel }: { user: User; onDone: (u: User) => void; onCancel: () => void }) {
  const form = useForm<PasswordResetValues>({ resolver: zodResolver(passwordResetSchema), defaultValues: NEW_PASSWORD_DEFAULTS });
  const { onSubmit, formError, busy } = useServerSubmit(form, async ({ password }) => {
    onDone(await api.users.update(user.id, { password }));
  });

  return (
    <form
      className="mt-4 space-y-3 rounded-lg border bg-muted/40 p-3"
      onSubmit={onSubmit}
      noValidate
      aria-label={`New password for ${user.username}`}
    >
      {formError ? <Alert tone="error">{formError}</Alert> : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <NewPasswordFields form={form} idPrefix={`user-${user.id}-reset`} label="New password" confirmLabel="Confirm new password" autoFocus />
      </div>
      <FormActions busy={busy} label="Set password" size="sm" onCancel={onCancel} />
    </form>
  );
}
