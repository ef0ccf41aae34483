"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage } from "./api";

export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (updater: T | ((prev: T | undefined) => T)) => void;
}

/**
 * Load data through the API client on mount and whenever `deps` change;
 * `reload()` refetches without clearing what is shown. `intervalMs` polls
 * quietly (a failed poll keeps the old data).
 */
export function useResource<T>(
  loader: (signal: AbortSignal) => Promise<T>,
  deps: ReadonlyArray<unknown> = [],
  intervalMs?: number,
): Resource<T> {
  const key = JSON.stringify(deps);
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  // The deps key of the last finished load: loading while it differs.
  const [settledKey, setSettledKey] = useState<string | null>(null);
  const [reloading, setReloading] = useState(false);
  const loaderRef = useRef(loader);
  const controllerRef = useRef<AbortController | null>(null);

  useEffect(() => {
    loaderRef.current = loader;
  });

  const run = useCallback(async (forKey: string, quiet: boolean) => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    try {
      const result = await loaderRef.current(controller.signal);
      if (controller.signal.aborted) return;
      setDataState(result);
      setError(null);
    } catch (err) {
      if (controller.signal.aborted || (err instanceof Error && err.name === "AbortError")) return;
      if (!quiet) setError(errorMessage(err));
    } finally {
      if (!controller.signal.aborted) {
        setSettledKey(forKey);
        setReloading(false);
      }
    }
  }, []);

  const keyRef = useRef(key);
  useEffect(() => {
    keyRef.current = key;
    void run(key, false);
    return () => controllerRef.current?.abort();
  }, [key, run]);

  useEffect(() => {
    if (!intervalMs) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible") void run(keyRef.current, true);
    }, intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs, run]);

  const reload = useCallback(() => {
    setReloading(true);
    return run(keyRef.current, false);
  }, [run]);

  const setData = useCallback((updater: T | ((prev: T | undefined) => T)) => {
    setDataState((prev) => (typeof updater === "function" ? (updater as (p: T | undefined) => T)(prev) : updater));
  }, []);

  return { data, error, loading: reloading || settledKey !== key, reload, setData };
}
