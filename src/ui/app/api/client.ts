// The web UI's only way to the server: the public API, called exactly as any browser client
// would. GET /csrf_token sets the session cookie and gives the CSRF token; every call sends
// X-Requested-With (Quay's XHR-only rule for browsers) and, when it changes state, X-CSRF-Token.
// A login answers X-Next-CSRF-Token: the old token stops working, so the new one replaces it.

/** A failed call, with Quay's error body (`error_type`, `error_message`/`detail`) when there is one. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export type FreshLoginPrompt = () => Promise<boolean>;

export class ApiClient {
  private csrf: Promise<string> | undefined;
  /** Asked when a call answers fresh_login_required: true once the password was verified. */
  onFreshLogin: FreshLoginPrompt | undefined;

  constructor(private readonly base = "") {}

  private token(): Promise<string> {
    this.csrf ??= fetch(`${this.base}/csrf_token`, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new ApiFailure(r.status, undefined, "Could not start a session"))))
      .then((b) => (b as { csrf_token: string }).csrf_token)
      .catch((e) => {
        this.csrf = undefined;
        throw e;
      });
    return this.csrf;
  }

  /** The session's CSRF token, for a form the browser posts itself (the OAuth authorize step). */
  csrfToken(): Promise<string> {
    return this.token();
  }

  /** Forget the CSRF token (after sign-out the session is gone with it). */
  reset(): void {
    this.csrf = undefined;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("POST", path, body ?? {});
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("PUT", path, body ?? {});
  }
  delete<T>(path: string): Promise<T> {
    return this.call<T>("DELETE", path);
  }

  async call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const headers: Record<string, string> = { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = await this.token();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const next = res.headers.get("X-Next-CSRF-Token");
    if (next) this.csrf = Promise.resolve(next);
    const text = await res.text();
    const parsed = parseJson(text);
    if (res.ok) return parsed as T;
    const failure = failureOf(res, parsed, text);
    if (!retried && failure.type === "fresh_login_required" && this.onFreshLogin && (await this.onFreshLogin())) {
      return this.call<T>(method, path, body, true);
    }
    // A session that ended elsewhere leaves a stale token: fetch a new one and try once more.
    if (!retried && method !== "GET" && res.status === 403 && /csrf/i.test(failure.message)) {
      this.csrf = undefined;
      return this.call<T>(method, path, body, true);
    }
    throw failure;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function failureOf(res: Response, body: unknown, text: string): ApiFailure {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const message = [b.error_message, b.detail, b.message, b.error_description, b.error].find((m) => typeof m === "string" && m) as string | undefined;
    const type = typeof b.error_type === "string" ? b.error_type : undefined;
    return new ApiFailure(res.status, type, message ?? `${res.status} ${res.statusText}`);
  }
  return new ApiFailure(res.status, undefined, text.trim().slice(0, 300) || `${res.status} ${res.statusText}`);
}

/** The one client of the page. */
export const api = new ApiClient();

/** A path segment, escaped (repository names keep their slashes: each part is escaped). */
export function seg(value: string): string {
  return value.split("/").map(encodeURIComponent).join("/");
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
