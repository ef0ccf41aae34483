// Who may open which page of the dashboard, and where the sign-in page may send
// the user back to. The backend enforces the same rules on every route; these
// only decide what the dashboard shows (a viewer never sees admin pages at all).
import type { Role } from "./types";

export interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
}

const EVERYONE: readonly Role[] = ["admin", "viewer"];
const ADMINS: readonly Role[] = ["admin"];

export const NAV_ITEMS: readonly NavItem[] = [
  { href: "/", label: "Events", roles: EVERYONE },
  { href: "/cameras", label: "Cameras", roles: EVERYONE },
  { href: "/alert-rules", label: "Alert rules", roles: ADMINS },
  { href: "/users", label: "Users", roles: ADMINS },
  { href: "/tokens", label: "API tokens", roles: ADMINS },
  { href: "/audit", label: "Audit", roles: ADMINS },
  { href: "/settings", label: "Settings", roles: ADMINS },
];

/** Pages shown without signing in (and without the app's navigation). */
export const PUBLIC_PATHS: readonly string[] = ["/login", "/setup"];

/** Pages only admins may open, beyond the navigation's own. */
const ADMIN_ONLY_EXTRA: readonly string[] = ["/setup/key"];

function under(pathname: string, prefix: string): boolean {
  return prefix === "/" ? pathname === "/" : pathname === prefix || pathname.startsWith(`${prefix}/`);
}

export function isPublicPath(pathname: string): boolean {
  return PUBLIC_PATHS.includes(pathname.replace(/\/+$/, "") || "/");
}

export function navItemsFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => item.roles.includes(role));
}

/** Whether a signed-in user with `role` may open `pathname` (unknown pages: yes, they answer 404). */
export function canAccess(role: Role, pathname: string): boolean {
  if (role === "admin") return true;
  if (ADMIN_ONLY_EXTRA.some((p) => under(pathname, p))) return false;
  // The most specific nav entry that covers the path decides.
  const match = NAV_ITEMS.filter((item) => item.href !== "/" && under(pathname, item.href)).sort(
    (a, b) => b.href.length - a.href.length,
  )[0];
  return match ? match.roles.includes(role) : true;
}

export function isActivePath(pathname: string, href: string): boolean {
  return under(pathname, href);
}

const ORIGIN = "http://dashboard.invalid";

/**
 * The page to return to after signing in. Only a path on this site is
 * accepted ("/cameras?x=1#y"); an absolute URL, a protocol-relative one
 * ("//host"), backslash tricks, control characters or anything that resolves
 * to another origin give "/". The sign-in and onboarding pages themselves
 * give "/" too (no loop).
 */
export function safeNextPath(raw: string | null | undefined): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2048) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//")) return "/";
  // Browsers treat "\" like "/" ("/\evil.example" is protocol-relative); control
  // characters and spaces are stripped or refused by URL parsers: refuse them all.
  if (/[\\\s\u0000-\u001f\u007f]/.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, ORIGIN);
  } catch {
    return "/";
  }
  // Normalising can make "//" appear ("/.//host" → "//host"): protocol-relative again.
  if (url.origin !== ORIGIN || url.pathname.startsWith("//")) return "/";
  if (isPublicPath(url.pathname) || under(url.pathname, "/login")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/** "/login?next=<path>", or plain "/login" when the path is the start page. */
export function loginHref(currentPath: string): string {
  const next = safeNextPath(currentPath);
  return next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}
