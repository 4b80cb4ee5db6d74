import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api/client';

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: ApiError | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Loads `url` (null: nothing to load) and again whenever it changes or `reload` is called. */
export function useApi<T>(url: string | null): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(url !== null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (url === null) {
      setData(null);
      setLoading(false);
      return;
    }
    void generation;
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api<T>(url, { signal: controller.signal })
      .then((value) => {
        setData(value);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setData(null);
        setError(err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err)));
        setLoading(false);
      });
    return () => controller.abort();
  }, [url, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
