import { createHash, createHmac } from "node:crypto";

// AWS Signature Version 4 for the S3 calls Bun.S3Client does not make (multipart create, part,
// part copy, complete, abort; copy; bucket create). Pure: the clock comes in as an argument.

export interface SigningKeys {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  sessionToken?: string;
}

/** The payload hash header value that lets a streamed or large body go unsigned (TLS or loopback carries it). */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** RFC 3986 encoding as SigV4 wants it; `/` kept in paths. */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/**
 * The headers to add to a request: `host`, `x-amz-date`, `x-amz-content-sha256` and
 * `authorization`. `path` is the raw (unencoded) path, `headers` the other headers to sign.
 */
export function signRequest(
  keys: SigningKeys,
  req: { method: string; host: string; path: string; query: Record<string, string>; headers: Record<string, string>; payloadHash: string },
  now: Date,
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v.trim();
  headers.host = req.host;
  headers["x-amz-date"] = amzDate;
  headers["x-amz-content-sha256"] = req.payloadHash;
  if (keys.sessionToken) headers["x-amz-security-token"] = keys.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [
    req.method,
    uriEncode(req.path, true),
    canonicalQuery(req.query),
    names.map((n) => `${n}:${headers[n]}\n`).join(""),
    names.join(";"),
    req.payloadHash,
  ].join("\n");
  const scope = `${day}/${keys.region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${keys.secretAccessKey}`, day), keys.region), "s3"), "aws4_request");
  const signature = createHmac("sha256", signingKey).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return headers;
}
