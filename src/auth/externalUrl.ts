import { cameThroughTrustedProxy } from "./clientAddress";
// The URL clients use to reach this registry: where the server names itself (the token realm and
// service, absolute Location headers, /config, API v1 error `type` URLs). `publicUrl` wins when
// set; otherwise the request's Host (and, from a trusted proxy, X-Forwarded-Host/-Proto) — but
// those headers are whatever the client wrote, so each is checked against a strict grammar and
// ignored when it does not fit: nothing unchecked ever reaches a header or a body.

export interface ExternalUrlSettings {
  publicUrl?: string;
  /** The configured port: part of the fallback name when no usable Host came. */
  port?: number;
}

/** Where the server is reached: `url` has no trailing slash (it may carry publicUrl's path). */
export interface ExternalBase {
  scheme: "http" | "https";
  /** host[:port], as in an image reference. */
  host: string;
  /** scheme://host[/path of publicUrl] */
  url: string;
}

/** What a request says about how it reached us (raw header values, unchecked). */
export interface RequestOriginHeaders {
  host: string | null;
  forwardedHost: string | null;
  forwardedProto: string | null;
  /** The connection itself was TLS. */
  secure: boolean;
}

// RFC 3986 host (registered name of DNS-style labels, or a bracketed IPv6 literal) with an
// optional port (a fully qualified name may end in "."). Letters, digits, "-", "_" and "." only:
// no quotes, commas, spaces, "/", "@", "%", CR/LF.
const LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const HOST_PATTERN = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*\\.?|\\[[0-9A-Fa-f:.]{2,45}\\])(?::([0-9]{1,5}))?$`);
const MAX_HOST = 262; // 253 for the name, ":" and 5 digits, a little slack for brackets

// Clients send the same Host on every request, and every request checks it (the front door, the
// token service name, the realm): hosts found valid are remembered. Per process and correct so:
// the answer is a pure function of the string. Bounded: cleared when full.
const validHosts = new Set<string>();
const MAX_REMEMBERED_HOSTS = 256;

/** Whether a Host-style value is a host name (or IP literal) with an optional port 1–65535. */
export function isValidHost(value: string): boolean {
  if (validHosts.has(value)) return true;
  if (!checkHost(value)) return false;
  if (validHosts.size >= MAX_REMEMBERED_HOSTS) validHosts.clear();
  validHosts.add(value);
  return true;
}

function checkHost(value: string): boolean {
  if (value.length === 0 || value.length > MAX_HOST) return false;
  const m = HOST_PATTERN.exec(value);
  if (!m) return false;
  if (m[1] !== undefined) {
    const port = Number(m[1]);
    if (port < 1 || port > 65535) return false;
  }
  return true;
}

function parseProto(value: string | null): "http" | "https" | undefined {
  if (value === null) return undefined;
  const v = value.trim().toLowerCase();
  return v === "http" || v === "https" ? v : undefined;
}

// Per process by nature: the parse of a configured value.
const parsedPublicUrls = new Map<string, ExternalBase>();

function publicBase(publicUrl: string): ExternalBase {
  let base = parsedPublicUrls.get(publicUrl);
  if (!base) {
    const u = new URL(publicUrl);
    const scheme = u.protocol === "https:" ? "https" : "http";
    base = { scheme, host: u.host, url: `${scheme}://${u.host}${u.pathname.replace(/\/+$/, "")}` };
    parsedPublicUrls.set(publicUrl, base);
  }
  return base;
}

/**
 * The external base URL, from configuration and the request's headers. Pure. Forwarded headers
 * count only when `trustForwarded`; any value outside the grammar is ignored (never echoed): a
 * bad X-Forwarded-Host falls back to Host, a bad Host to `localhost[:port]`.
 */
export function deriveExternalBase(settings: ExternalUrlSettings, origin: RequestOriginHeaders, trustForwarded: boolean): ExternalBase {
  if (settings.publicUrl) return publicBase(settings.publicUrl);
  const forwardedHost = trustForwarded && origin.forwardedHost !== null && isValidHost(origin.forwardedHost) ? origin.forwardedHost : undefined;
  const host =
    forwardedHost ??
    (origin.host !== null && isValidHost(origin.host) ? origin.host : settings.port ? `localhost:${settings.port}` : "localhost");
  const scheme = (trustForwarded ? parseProto(origin.forwardedProto) : undefined) ?? (origin.secure ? "https" : "http");
  return { scheme, host, url: `${scheme}://${host}` };
}

/**
 * Whether this request's X-Forwarded-Host/-Proto may be believed: only when its connection came
 * from one of the configured `trustedProxies` (the server records that per request). Behind a
 * proxy that is not listed, set `publicUrl`.
 */
export function forwardedHeadersTrusted(request: Request): boolean {
  return cameThroughTrustedProxy(request);
}

/** The external base URL for this request (see deriveExternalBase). */
export function externalBase(settings: ExternalUrlSettings, request: Request): ExternalBase {
  if (settings.publicUrl) return publicBase(settings.publicUrl);
  const h = request.headers;
  const trusted = forwardedHeadersTrusted(request);
  // Forwarded headers are read only when they may be believed (deriveExternalBase ignores them otherwise).
  return deriveExternalBase(
    settings,
    {
      host: h.get("host"),
      forwardedHost: trusted ? h.get("x-forwarded-host") : null,
      forwardedProto: trusted ? h.get("x-forwarded-proto") : null,
      secure: request.url.startsWith("https:"),
    },
    trusted,
  );
}

/** An absolute URL for a path of this server (`path` starts with "/"). */
export function externalUrl(settings: ExternalUrlSettings, request: Request, path: string): string {
  return `${externalBase(settings, request).url}${path}`;
}
