// What of a request's URL may be written to the log. Paths carry no secrets in either API, but a
// query string can: an OAuth access_token, an authorization code, a password some script put in
// a URL. Every value whose key looks like a credential is replaced, whatever the route.

/** Query keys whose values are never logged (compared lower-case, as substrings). */
const SECRET_KEY_PARTS = ["token", "password", "passwd", "secret", "code", "key", "auth", "session", "signature", "credential", "cookie"];

export const REDACTED = "REDACTED";

function secretKey(key: string): boolean {
  let decoded = key;
  try {
    decoded = decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    // A malformed escape: judge the raw key.
  }
  const lower = decoded.toLowerCase();
  return SECRET_KEY_PARTS.some((part) => lower.includes(part));
}

/** The path with the values of secret-looking query parameters replaced by REDACTED. */
export function redactedPath(path: string): string {
  const q = path.indexOf("?");
  if (q < 0) return path;
  const pairs = path.slice(q + 1).split("&");
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq >= 0 && secretKey(key)) pairs[i] = `${key}=${REDACTED}`;
  }
  return `${path.slice(0, q)}?${pairs.join("&")}`;
}
