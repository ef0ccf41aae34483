// The AI key input's schema. The key is write-only: the form starts empty
// (never from the server) and is emptied again after a save.
import { z } from "zod";
import { keyField } from "@/lib/providers";
import type { Provider } from "@/lib/types";

/** A typed key: what the user typed, trimmed (empty: none typed). */
export const keySchema = z.string().trim();

export const keyInputSchema = z.object({ key: keySchema });
export type KeyInput = z.input<typeof keyInputSchema>;

export const EMPTY_KEY: KeyInput = { key: "" };

/** The server's name for this provider's key, as the form's. */
export function serverKeyField(provider: Provider): Readonly<Record<string, "key">> {
  return { [keyField(provider)]: "key" };
}
