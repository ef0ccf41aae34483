"use client";

import * as React from "react";
import { ChevronDown, KeyRound, LogOut, UserRound } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { ChangePasswordDialog } from "@/components/auth/change-password";
import { useAuth } from "@/components/auth-provider";
import { errorMessage } from "@/lib/api";

export const ROLE_LABEL = { admin: "Admin", viewer: "Viewer" } as const;

/**
 * The signed-in user: name and role, change password, sign out.
 *
 * The change-password dialog lives outside the menu. "Change password" only
 * notes that it was chosen; the dialog opens once the menu has closed and
 * given focus back to its button, so the dialog (components/ui/dialog.tsx)
 * gives focus back to that button when it closes.
 */
export function UserMenu() {
  const auth = useAuth();
  const [open, setOpen] = React.useState(false);
  const [dialog, setDialog] = React.useState(false);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [signingOut, setSigningOut] = React.useState(false);
  const dialogChosen = React.useRef(false);

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
    <>
      <DropdownMenu
        open={open}
        onOpenChange={(next) => {
          if (next) setNotice(null);
          setOpen(next);
        }}
      >
        <DropdownMenuTrigger asChild>
          <Button
            variant="ghost"
            className="h-9 max-w-44 gap-1.5 px-2"
            aria-label={`Account: ${user.username} (${ROLE_LABEL[user.role]})`}
            data-testid="user-menu"
          >
            <UserRound aria-hidden />
            <span className="hidden truncate sm:inline">{user.username}</span>
            <ChevronDown aria-hidden className="size-3.5 opacity-60" />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent
          data-testid="user-menu-panel"
          onCloseAutoFocus={() => {
            // Radix focuses the trigger right after this: the dialog then opens from there.
            if (!dialogChosen.current) return;
            dialogChosen.current = false;
            setDialog(true);
          }}
        >
          <DropdownMenuLabel>
            <span className="block truncate text-sm font-semibold" data-testid="user-menu-username">
              {user.username}
            </span>
            <Badge tone={user.role === "admin" ? "info" : "neutral"} className="mt-1" data-testid="user-menu-role">
              {ROLE_LABEL[user.role]}
            </Badge>
          </DropdownMenuLabel>
          {notice ? <p role="status" className="px-2 pb-2 text-xs text-success">{notice}</p> : null}
          {error ? <p role="alert" className="px-2 pb-2 text-xs text-destructive">{error}</p> : null}
          <DropdownMenuSeparator />
          {user.auth !== "token" ? (
            <DropdownMenuItem onSelect={() => (dialogChosen.current = true)}>
              <KeyRound aria-hidden /> Change password
            </DropdownMenuItem>
          ) : null}
          <DropdownMenuItem
            disabled={signingOut}
            onSelect={(e) => {
              // Stay open while signing out, to show why it failed if it does.
              e.preventDefault();
              void signOut();
            }}
            data-testid="sign-out"
          >
            <LogOut aria-hidden /> Sign out
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
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
    </>
  );
}
