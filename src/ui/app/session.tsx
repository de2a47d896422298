// Who is signed in and what the registry is (/config), for every page. Loaded once at start and
// again after sign-in, sign-out or an account change.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ApiFailure } from "./api/client";
import type { CurrentUser, WebConfig } from "./api/types";

export interface Session {
  config: WebConfig;
  user: CurrentUser | null;
  refresh: () => Promise<void>;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

async function currentUser(): Promise<CurrentUser | null> {
  try {
    const user = await api.get<CurrentUser>("/api/v1/user/");
    return user.anonymous ? null : user;
  } catch (e) {
    if (e instanceof ApiFailure && (e.status === 401 || e.status === 403)) return null;
    throw e;
  }
}

export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: (error: unknown) => ReactNode }) {
  const [state, setState] = useState<{ config?: WebConfig; user: CurrentUser | null; error?: unknown }>({ user: null });
  const refresh = useCallback(async () => {
    try {
      const [config, user] = await Promise.all([api.get<WebConfig>("/config"), currentUser()]);
      setState({ config, user });
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const signIn = useCallback(
    async (username: string, password: string) => {
      await api.post("/api/v1/signin", { username, password });
      await refresh();
    },
    [refresh],
  );
  const signOut = useCallback(async () => {
    await api.post("/api/v1/signout");
    api.reset();
    await refresh();
  }, [refresh]);
  if (!state.config) return <>{fallback(state.error)}</>;
  return <SessionContext.Provider value={{ config: state.config, user: state.user, refresh, signIn, signOut }}>{children}</SessionContext.Provider>;
}
