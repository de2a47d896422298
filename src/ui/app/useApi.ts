// Loading an API answer into a page: loading, error and data states, and reload after a change.
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api/client";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (none while it is null) and again whenever it changes or reload() is called. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: path !== null });
  const [generation, setGeneration] = useState(0);
  const current = useRef(0);
  useEffect(() => {
    if (path === null) {
      setState({ loading: false });
      return;
    }
    const mine = ++current.current;
    setState((s) => ({ data: s.data, loading: true }));
    api.get<T>(path).then(
      (data) => mine === current.current && setState({ data, loading: false }),
      (error) => mine === current.current && setState({ error, loading: false }),
    );
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
