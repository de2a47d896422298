// Every request body is bounded before anyone reads it. Blob uploads stream to disk (their routes
// cut off stalled bodies); a manifest PUT is read by its route up to maxManifestBytes; every other
// body (API v1 JSON, OAuth forms, /v2/auth, health, unknown paths) is read here, whole, up to
// maxApiBodyBytes, and handed on in memory. Elysia would otherwise buffer a body of any size
// before a route could look at it. A body over its cap by Content-Length is refused unread.
import type { Config } from "./config";
import { clientAddress, recordClientAddress } from "./auth/clientAddress";
import { carryNote } from "./requestNotes";
import { parseV2Path } from "./oci";
import { declaredLength, hasBody, readCapped } from "./requestBody";
import { isV1Path } from "./v1";
import { ApiError, apiErrorResponse } from "./v1/errors";
import { RegistryError, registryErrorResponse } from "./v2/errors";

type Limits = Pick<Config, "maxApiBodyBytes" | "maxManifestBytes">;

export type BodyRule =
  /** A blob upload: streamed to disk by its route (maxBodyBytes, Bun's own cap, still applies). */
  | { kind: "stream" }
  /** A manifest PUT: its route reads the body up to `limit`; only Content-Length is checked here. */
  | { kind: "route"; limit: number }
  /** Everything else: read here up to `limit`. */
  | { kind: "buffer"; limit: number };

const V2_OWN_PATHS = new Set(["/v2/", "/v2/_catalog", "/v2/auth"]);

/** Which rule a request's body falls under. `path` is the URL path without the query. */
export function bodyRule(method: string, path: string, limits: Limits): BodyRule {
  if (path.startsWith("/v2/") && !V2_OWN_PATHS.has(path)) {
    const parsed = parseV2Path(path.slice(4));
    if (parsed.ok) {
      const kind = parsed.route.kind;
      if ((kind === "uploadStart" && method === "POST") || (kind === "upload" && (method === "PATCH" || method === "PUT"))) {
        return { kind: "stream" };
      }
      if (kind === "manifest" && method === "PUT") return { kind: "route", limit: limits.maxManifestBytes };
    }
  }
  return { kind: "buffer", limit: limits.maxApiBodyBytes };
}

/** The refusal in the wire format of the API the path belongs to; the connection closes after it. */
export function bodyRefusal(config: Config, request: Request, path: string, status: 408 | 413, limit: number, withinMs: number): Response {
  const message =
    status === 413 ? `request body is larger than the limit of ${limit} bytes` : `request body did not arrive whole within ${withinMs / 1000} s`;
  const close = { Connection: "close" };
  if (isV1Path(request.url)) return apiErrorResponse(new ApiError(status === 413 ? "BodyTooLarge" : "BodyTimeout", message, {}, close), request, config);
  if (path === "/v2" || path.startsWith("/v2/")) {
    const kind = status === 413 ? "BODY_TOO_LARGE" : "BODY_TIMEOUT";
    return registryErrorResponse(new RegistryError(kind, message, status === 413 ? { limit } : undefined, close), request.method);
  }
  return new Response(message, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...close } });
}

// Requests this hook built: their body is already in memory.
const inMemory = new WeakSet<Request>();

/**
 * Undefined when the request may go on as it is (no body, a streamed upload, a manifest within
 * its declared cap, or a request built here); otherwise a refusal, or the same request with its
 * body read into memory.
 */
export function limitBody(config: Config, request: Request): Promise<Response | Request> | undefined {
  if (inMemory.has(request) || !hasBody(request.headers)) return undefined;
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  const path = query < 0 ? url.slice(start) : url.slice(start, query);
  const rule = bodyRule(request.method, path, config);
  if (rule.kind === "stream") return undefined;
  const withinMs = config.bodyStallSeconds * 1000;
  if ((declaredLength(request.headers) ?? 0) > rule.limit) return Promise.resolve(bodyRefusal(config, request, path, 413, rule.limit, withinMs));
  if (rule.kind === "route") return undefined;
  return readCapped(request.body, rule.limit, withinMs).then((read) => {
    if (read.kind !== "ok") return bodyRefusal(config, request, path, read.kind === "tooLarge" ? 413 : 408, rule.limit, withinMs);
    return withBodyInMemory(request, read.bytes);
  });
}

function withBodyInMemory(request: Request, bytes: Uint8Array): Request {
  const headers = new Headers(request.headers);
  headers.delete("transfer-encoding");
  // GET and HEAD cannot carry a body in a Request; no route reads one there.
  const bodiless = request.method === "GET" || request.method === "HEAD";
  if (bodiless) headers.delete("content-length");
  else headers.set("content-length", String(bytes.byteLength));
  const copy = new Request(request.url, { method: request.method, headers, body: bodiless ? null : bytes });
  recordClientAddress(copy, clientAddress(request));
  carryNote(request, copy);
  inMemory.add(copy);
  return copy;
}
