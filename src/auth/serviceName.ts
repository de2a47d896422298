// Where clients fetch tokens (the realm) and the name tokens are minted for (the service, JWT
// aud). Both come from configuration when set, else from how the client reached us, so a
// registry on a laptop works as localhost:8080 and as 127.0.0.1:8080 alike.

export interface ServiceSettings {
  publicUrl?: string;
  service?: string;
}

/** How the client reached us: scheme (honouring X-Forwarded-Proto) and Host. */
export function requestOrigin(request: Request): { proto: string; host: string } {
  // On the hot path (every /v2 call in token mode): no URL parsing when Host is present.
  const host = request.headers.get("host") ?? new URL(request.url).host;
  const proto = request.headers.get("x-forwarded-proto") ?? (request.url.startsWith("https:") ? "https" : "http");
  return { proto, host };
}

export function serviceFor(settings: ServiceSettings, request: Request): string {
  if (settings.service) return settings.service;
  if (settings.publicUrl) return new URL(settings.publicUrl).host;
  return request.headers.get("host") ?? new URL(request.url).host;
}

export function realmFor(settings: ServiceSettings, request: Request): string {
  if (settings.publicUrl) return `${settings.publicUrl.replace(/\/+$/, "")}/v2/auth`;
  const { proto, host } = requestOrigin(request);
  return `${proto}://${host}/v2/auth`;
}

/** The `WWW-Authenticate` value of a /v2 401. */
export function bearerChallenge(settings: ServiceSettings, request: Request, scope?: string): string {
  const parts = [`realm="${realmFor(settings, request)}"`, `service="${serviceFor(settings, request)}"`];
  if (scope) parts.push(`scope="${scope}"`);
  return `Bearer ${parts.join(",")}`;
}
