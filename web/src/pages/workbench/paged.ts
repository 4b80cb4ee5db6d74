import { useEffect, useState } from 'react';
import { ApiError, api, path, withQuery } from '../../api/client';
import type { Page } from '../../api/types';

/**
 * A list that starts with the page the workbench gave and follows `next` on
 * demand, as of the workbench's instant `at` (a fee reversed later is still
 * charged then).
 */
export function usePaged<T>(
  first: Page<T>,
  merchantId: string,
  list: 'fees' | 'settlements',
  at: string,
) {
  const [items, setItems] = useState<T[]>(first.items);
  const [next, setNext] = useState<string | null>(first.next);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    setItems(first.items);
    setNext(first.next);
  }, [first]);

  const more = async () => {
    if (next === null) return;
    setLoading(true);
    setError(null);
    try {
      const page = await api<Page<T>>(
        withQuery(path('/v1/merchants', merchantId, list), { after: next, limit: 100, at }),
      );
      setItems((current) => [...current, ...page.items]);
      setNext(page.next);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err)));
    } finally {
      setLoading(false);
    }
  };

  return { items, next, loading, error, more };
}
