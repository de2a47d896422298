// Where clients fetch tokens (the realm) and the name tokens are minted for (the service, JWT
// aud). Both come from configuration when set, else from how the client reached us (checked by
// externalBase), so a registry on a laptop works as localhost:8080 and as 127.0.0.1:8080 alike.
import { externalBase, type ExternalUrlSettings } from "./externalUrl";

export interface ServiceSettings extends ExternalUrlSettings {
  service?: string;
}

/** How the client reached us: scheme and host, validated (see externalBase). */
export function requestOrigin(request: Request, settings: ExternalUrlSettings = {}): { proto: string; host: string } {
  const base = externalBase(settings, request);
  return { proto: base.scheme, host: base.host };
}

export function serviceFor(settings: ServiceSettings, request: Request): string {
  return settings.service ?? externalBase(settings, request).host;
}

export function realmFor(settings: ServiceSettings, request: Request): string {
  return `${externalBase(settings, request).url}/v2/auth`;
}

/**
 * The `WWW-Authenticate` value of a /v2 401. `scope` may hold several space-separated scopes;
 * `insufficientScope` says the caller is known but may not do this (RFC 6750's error code,
 * which clients turn into "requested access to the resource is denied").
 */
export function bearerChallenge(settings: ServiceSettings, request: Request, scope?: string, insufficientScope = false): string {
  const parts = [`realm="${realmFor(settings, request)}"`, `service="${serviceFor(settings, request)}"`];
  if (scope) parts.push(`scope="${scope}"`);
  if (insufficientScope) parts.push(`error="insufficient_scope"`);
  return `Bearer ${parts.join(",")}`;
}
