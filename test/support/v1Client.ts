// A browser-like client for the Quay-compatible API v1: plain fetch plus a tiny cookie jar. It keeps
// the session cookie (`_csrf_token`, Quay's name) from Set-Cookie, the CSRF token from
// GET /csrf_token and from X-Next-CSRF-Token, and sends X-CSRF-Token on writes.
// Independent of src/ on purpose: the wire format is spelled out here.
import { expect } from "bun:test";

export const SESSION_COOKIE = "_csrf_token";

export interface V1RequestInit {
  method?: string;
  /** Serialised as the JSON body (with Content-Type). */
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** false: omit X-CSRF-Token; a string: send that value instead of the current token. */
  csrf?: boolean | string;
  /** false: send no cookies (the jar still records what comes back). */
  cookies?: boolean;
}

export class V1Client {
  /** Cookie name → raw (still URL-encoded) value, as the server set it. */
  readonly jar = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(readonly base: string) {}

  /** The session cookie's value, URL-decoded (`<json>.<signature>` when signed). */
  session(): string | undefined {
    const raw = this.jar.get(SESSION_COOKIE);
    return raw === undefined ? undefined : decodeURIComponent(raw);
  }

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async fetch(path: string, init: V1RequestInit = {}): Promise<Response> {
    const method = init.method ?? (init.json !== undefined ? "POST" : "GET");
    const headers: Record<string, string> = { ...init.headers };
    if (init.cookies !== false && this.jar.size > 0) headers.Cookie = this.cookieHeader();
    const write = !["GET", "HEAD", "OPTIONS"].includes(method);
    if (write && init.csrf !== false) {
      const token = typeof init.csrf === "string" ? init.csrf : this.csrfToken;
      if (token !== undefined) headers["X-CSRF-Token"] = token;
    }
    let body = init.body;
    if (init.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    const res = await fetch(path.startsWith("http") ? path : `${this.base}${path}`, { method, headers, body, redirect: "manual" });
    this.absorb(res);
    return res;
  }

  /** Records Set-Cookie (Max-Age=0 or a past Expires deletes) and X-Next-CSRF-Token. */
  absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const gone = attrs.some((a) => {
        const [k, v] = a.split("=");
        if (k!.toLowerCase() === "max-age") return Number(v) <= 0;
        if (k!.toLowerCase() === "expires") return Date.parse(v!) <= Date.now();
        return false;
      });
      if (gone || value === "") {
        this.jar.delete(name);
        // The CSRF token lives in the session: a new session needs a new token.
        if (name === SESSION_COOKIE) this.csrfToken = undefined;
      } else this.jar.set(name, value);
    }
    const next = res.headers.get("x-next-csrf-token");
    if (next) this.csrfToken = next;
  }

  /** GET /csrf_token: creates the session (cookie) when missing and remembers the token. */
  async fetchCsrf(): Promise<string> {
    const res = await this.fetch("/csrf_token");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { csrf_token: string };
    this.csrfToken = body.csrf_token;
    return body.csrf_token;
  }

  /** POST /api/v1/signin (fetching a CSRF token first when there is none). */
  async signinRaw(username: string, password: string): Promise<Response> {
    if (!this.csrfToken) await this.fetchCsrf();
    return this.fetch("/api/v1/signin", { json: { username, password } });
  }

  /** Signs in and throws unless it worked. */
  async signin(username: string, password: string): Promise<this> {
    const res = await this.signinRaw(username, password);
    if (res.status !== 200) throw new Error(`signin ${username}: ${res.status} ${await res.text()}`);
    return this;
  }

  get(path: string, init: V1RequestInit = {}) {
    return this.fetch(path, { ...init, method: "GET" });
  }
  post(path: string, json?: unknown, init: V1RequestInit = {}) {
    return this.fetch(path, { ...init, method: "POST", json });
  }
  put(path: string, json?: unknown, init: V1RequestInit = {}) {
    return this.fetch(path, { ...init, method: "PUT", json });
  }
  delete(path: string, init: V1RequestInit = {}) {
    return this.fetch(path, { ...init, method: "DELETE" });
  }
}

/** A fresh client already signed in. */
export async function signedIn(base: string, username: string, password: string): Promise<V1Client> {
  return new V1Client(base).signin(username, password);
}

export interface ProblemBody {
  detail: string;
  error_message: string;
  error_type: string;
  title: string;
  type: string;
  status: number;
  [k: string]: unknown;
}

/** Quay's ApiException body (reference §1.2a), with the status and error_type expected. */
export async function expectProblem(res: Response, status: number, errorType: string, detail?: string | RegExp): Promise<ProblemBody> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = JSON.parse(text) as ProblemBody;
  expect(body.status).toBe(status);
  expect(body.error_type).toBe(errorType);
  expect(body.title).toBe(errorType);
  expect(body.error_message).toBe(body.detail);
  expect(body.type).toBe(`${new URL(res.url).origin}/api/v1/error/${errorType}`);
  if (typeof detail === "string") expect(body.detail).toBe(detail);
  else if (detail) expect(body.detail).toMatch(detail);
  return body;
}

/** Quay's CSRF refusal (reference §1.5, shape §1.2c). */
export async function expectCsrfError(res: Response): Promise<void> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 403 });
  expect(JSON.parse(text)).toEqual({ error: "CSRF token was invalid or missing." });
}

export async function expectJson<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  return JSON.parse(text) as T;
}

/**
 * Makes the client's session look `ageMs` older than its login (as if signed in long ago), signed
 * with the server's cookie secret the way Elysia signs (HMAC-SHA256, base64 without padding).
 */
export async function ageLogin(client: V1Client, secret: string, ageMs: number): Promise<void> {
  const raw = client.session();
  if (!raw) throw new Error("no session to age");
  const data = JSON.parse(raw.slice(0, raw.lastIndexOf("."))) as { t?: number };
  data.t = (data.t ?? Date.now()) - ageMs;
  const value = JSON.stringify(data);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = Buffer.from(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(value))).toString("base64").replace(/=+$/, "");
  client.jar.set(SESSION_COOKIE, encodeURIComponent(`${value}.${mac}`));
}
