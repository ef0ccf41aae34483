// Testing Library with the dashboard's providers: `render` wraps the UI in a
// fresh QueryClient (no cache shared between tests), like the root layout.
import * as React from "react";
import { render as rtlRender, type RenderOptions } from "@testing-library/react";
import { QueryClientProvider } from "@tanstack/react-query";
import { makeQueryClient } from "@/lib/query";

export * from "@testing-library/react";

export function render(ui: React.ReactElement, options: Omit<RenderOptions, "wrapper"> = {}) {
  const client = makeQueryClient();
  const Wrapper = ({ children }: { children: React.ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  return { client, ...rtlRender(ui, { wrapper: Wrapper, ...options }) };
}
