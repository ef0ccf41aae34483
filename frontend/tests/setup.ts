import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy*/waitFor give up after 1 s by default: on a loaded 2-core machine a
// page's first render with its queries can take longer than that.
configure({ asyncUtilTimeout: 5000 });

// jsdom has no ResizeObserver; Radix measures its form-bubbling inputs with one.
class NoopResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoopResizeObserver as unknown as typeof ResizeObserver;

afterEach(() => {
  cleanup();
});
