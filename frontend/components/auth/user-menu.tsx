"use client";

import * as React from "react";
import { ChevronDown, KeyRound, LogOut, UserRound } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ChangePasswordDialog } from "@/components/auth/change-password";
import { useAuth } from "@/components/auth-provider";
import { errorMessage } from "@/lib/api";

export const ROLE_LABEL = { admin: "Admin", viewer: "Viewer" } as const;

/** The signed-in user: name and role, change password, sign out. */
export function UserMenu() {
  const auth = useAuth();
  const [open, setOpen] = React.useState(false);
  const [dialog, setDialog] = React.useState(false);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [signingOut, setSigningOut] = React.useState(false);
  const rootRef = React.useRef<HTMLDivElement>(null);
  const buttonRef = React.useRef<HTMLButtonElement>(null);
  const menuId = React.useId();

  React.useEffect(() => {
    if (!open) return;
    const onPointer = (e: MouseEvent) => {
      if (rootRef.current && !rootRef.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener("mousedown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const user = auth.user;
  if (!user) return null;

  async function signOut() {
    setSigningOut(true);
    setError(null);
    try {
      await auth.signOut();
    } catch (err) {
      setError(`Could not sign out: ${errorMessage(err)}`);
      setSigningOut(false);
    }
  }

  return (
    <div ref={rootRef} className="relative">
      <Button
        ref={buttonRef}
        variant="ghost"
        className="h-9 max-w-44 gap-1.5 px-2"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={`Account: ${user.username} (${ROLE_LABEL[user.role]})`}
        data-testid="user-menu"
        onClick={() => {
          setNotice(null);
          setOpen((o) => !o);
        }}
      >
        <UserRound aria-hidden />
        <span className="hidden truncate sm:inline">{user.username}</span>
        <ChevronDown aria-hidden className="size-3.5 opacity-60" />
      </Button>
      {open ? (
        <div
          id={menuId}
          role="region"
          aria-label="Account"
          data-testid="user-menu-panel"
          className="absolute top-full right-0 z-50 mt-2 w-64 rounded-xl border bg-card p-2 shadow-xl"
        >
          <div className="px-2 py-2">
            <p className="truncate text-sm font-semibold" data-testid="user-menu-username">
              {user.username}
            </p>
            <Badge tone={user.role === "admin" ? "info" : "neutral"} className="mt-1" data-testid="user-menu-role">
              {ROLE_LABEL[user.role]}
            </Badge>
          </div>
          {notice ? <p role="status" className="px-2 pb-2 text-xs text-success">{notice}</p> : null}
          {error ? <p role="alert" className="px-2 pb-2 text-xs text-destructive">{error}</p> : null}
          <div className="border-t pt-1">
            {user.auth !== "token" ? (
              <Button
                variant="ghost"
                className="w-full justify-start"
                onClick={() => {
                  setDialog(true);
                  setOpen(false);
                }}
              >
                <KeyRound aria-hidden /> Change password
              </Button>
            ) : null}
            <Button
              variant="ghost"
              className="w-full justify-start"
              onClick={() => void signOut()}
              disabled={signingOut}
              data-testid="sign-out"
            >
              <LogOut aria-hidden /> Sign out
            </Button>
          </div>
        </div>
      ) : null}
      {dialog ? (
        <ChangePasswordDialog
          username={user.username}
          onClose={() => setDialog(false)}
          onChanged={() => {
            setDialog(false);
            setNotice("Password changed. Your other sessions were signed out.");
            setOpen(true);
          }}
        />
      ) : null}
    </div>
  );
}
