// How the request metrics group requests: by API family and method, as small integers, so the
// per-request count is an array index and no label string is built on the hot path.

export const FAMILIES = ["v2", "v1", "auth", "other"] as const;
export type Family = (typeof FAMILIES)[number];

export const FAMILY = { v2: 0, v1: 1, auth: 2, other: 3 } as const;

/**
 * The family of a path: `auth` for the token endpoint and OAuth, `v2` for the registry protocol
 * (with Docker's /v1/_ping and /v1/search), `v1` for Quay's REST API, `other` for the rest.
 */
export function familyOf(path: string): number {
  if (path.startsWith("/v2")) return path.startsWith("/v2/auth") && (path.length === 8 || path[8] === "?") ? FAMILY.auth : FAMILY.v2;
  if (path.startsWith("/api/v1/") || path === "/api/v1") return FAMILY.v1;
  if (path.startsWith("/oauth/")) return FAMILY.auth;
  if (path.startsWith("/v1/_ping") || path.startsWith("/v1/search")) return FAMILY.v2;
  return FAMILY.other;
}

export const METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "other"] as const;
const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));

export function methodIndex(method: string): number {
  return METHOD_INDEX.get(method) ?? METHODS.length - 1;
}

/** Statuses 100–599 each count apart; anything else (there is nothing else) counts as 599. */
export const STATUS_BASE = 100;
export const STATUS_SLOTS = 500;

export function statusIndex(status: number): number {
  const i = status - STATUS_BASE;
  return i >= 0 && i < STATUS_SLOTS ? i : STATUS_SLOTS - 1;
}
