import { describe, expect, it } from "vitest";
import { canAccess, isPublicPath, loginHref, navItemsFor, safeNextPath } from "@/lib/access";

describe("safeNextPath (where sign-in may send the user back to)", () => {
  it.each([
    ["/cameras", "/cameras"],
    ["/alert-rules?id=3#edit", "/alert-rules?id=3#edit"],
    ["/", "/"],
    ["/settings/", "/settings/"],
    ["/a/../cameras", "/cameras"],
    ["/%09/x", "/%09/x"],
  ])("keeps the same-site path %s", (raw, expected) => {
    expect(safeNextPath(raw)).toBe(expected);
  });

  it.each([
    null,
    undefined,
    "",
    "cameras",
    "https://evil.example/",
    "http://127.0.0.1:1/evil",
    "//evil.example/x",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/.//evil.example",
    "/..//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " /cameras",
    "javascript:alert(1)",
    "data:text/html,hi",
    "/login",
    "/login?next=/cameras",
    "/setup",
    "/x".repeat(2000),
  ])("refuses %j and gives /", (raw) => {
    expect(safeNextPath(raw)).toBe("/");
  });

  it("never yields something that leaves the origin", () => {
    for (const raw of ["/cameras", "//a", "/\\a", "/.//a", "/..//a"]) {
      const next = safeNextPath(raw);
      expect(new URL(next, "http://dash.test").origin).toBe("http://dash.test");
      expect(next.startsWith("//")).toBe(false);
    }
  });

  it("builds the login link with the path encoded", () => {
    expect(loginHref("/cameras?x=1")).toBe("/login?next=%2Fcameras%3Fx%3D1");
    expect(loginHref("/")).toBe("/login");
    expect(loginHref("//evil.example")).toBe("/login");
  });
});

describe("role-based access", () => {
  it("gives viewers Events and Cameras only", () => {
    expect(navItemsFor("viewer").map((i) => i.label)).toEqual(["Events", "Cameras"]);
    expect(navItemsFor("admin").map((i) => i.label)).toEqual([
      "Events",
      "Cameras",
      "Alert rules",
      "Users",
      "API tokens",
      "Audit",
      "Settings",
    ]);
  });

  it("refuses viewers the admin pages, at any depth", () => {
    for (const path of ["/settings", "/alert-rules", "/alert-rules/3", "/users", "/tokens", "/audit", "/setup/key"])
      expect(canAccess("viewer", path)).toBe(false);
    for (const path of ["/", "/cameras", "/cameras/2"]) expect(canAccess("viewer", path)).toBe(true);
    for (const path of ["/settings", "/users", "/setup/key"]) expect(canAccess("admin", path)).toBe(true);
    // A look-alike prefix is not the admin page.
    expect(canAccess("viewer", "/settingsx")).toBe(true);
  });

  it("knows the public pages", () => {
    expect(isPublicPath("/login")).toBe(true);
    expect(isPublicPath("/setup")).toBe(true);
    expect(isPublicPath("/setup/key")).toBe(false);
    expect(isPublicPath("/")).toBe(false);
  });
});
