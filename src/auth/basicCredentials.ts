/** Parses `Authorization: Basic …`; undefined when absent, "malformed" when unusable. */
export function parseBasicCredentials(header: string | null): { username: string; secret: string } | undefined | "malformed" {
  if (header === null || header === "") return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return "malformed";
  let decoded: string;
  try {
    decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  } catch {
    return "malformed";
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return "malformed";
  return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Parses `Authorization: Bearer …`. */
export function parseBearer(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
