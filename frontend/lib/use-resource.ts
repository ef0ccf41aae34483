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
 * Load data through the API client on mount; `reload()` refetches without
 * clearing what is shown. `intervalMs` polls quietly (errors keep old data).
 */
export function useResource<T>(
  loader: (signal: AbortSignal) => Promise<T>,
  deps: React.DependencyList = [],
  intervalMs?: number,
): Resource<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const loaderRef = useRef(loader);
  const controllerRef = useRef<AbortController | null>(null);

  useEffect(() => {
    loaderRef.current = loader;
  });

  const run = useCallback(async (quiet: boolean) => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    if (!quiet) setLoading(true);
    try {
      const result = await loaderRef.current(controller.signal);
      if (controller.signal.aborted) return;
      setDataState(result);
      setError(null);
    } catch (err) {
      if (controller.signal.aborted || (err instanceof Error && err.name === "AbortError")) return;
      if (!quiet) setError(errorMessage(err));
    } finally {
      if (!controller.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void run(false);
    return () => controllerRef.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- deps are the caller's
  }, deps);

  useEffect(() => {
    if (!intervalMs) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible") void run(true);
    }, intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs, run]);

  const reload = useCallback(() => run(false), [run]);
  const setData = useCallback((updater: T | ((prev: T | undefined) => T)) => {
    setDataState((prev) => (typeof updater === "function" ? (updater as (p: T | undefined) => T)(prev) : updater));
  }, []);

  return { data, error, loading, reload, setData };
}
