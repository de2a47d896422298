// GET /metrics: on its own address (`metricsAddress`), or on the public port to a bearer of
// `metricsToken`. The token is compared in constant time and accepted only as
// `Authorization: Bearer <token>`: no session cookie, registry JWT or other credential of the
// registry opens it, and it opens nothing else.
import { constantTimeEqual } from "../secrets";
import type { Metrics } from "./metrics";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="berth metrics"', "Content-Type": "text/plain; charset=utf-8" };

/** The answer to a request for /metrics, given the token it requires (undefined: none). */
export async function metricsAnswer(metrics: Metrics, request: Request, token: string | undefined): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
  if (token !== undefined && !bearerMatches(request.headers.get("authorization"), token)) {
    return new Response("metrics need the metrics token\n", { status: 401, headers: CHALLENGE });
  }
  const answer = await metrics.scrape();
  return request.method === "HEAD" ? new Response(null, answer) : answer;
}

function bearerMatches(header: string | null, token: string): boolean {
  if (header === null || !/^Bearer /i.test(header)) return false;
  return constantTimeEqual(header.slice(7).trim(), token);
}

/** `metricsAddress` as Bun.serve wants it: "[::1]:9090" → { hostname "::1", port 9090 }. */
export function listenAddress(address: string): { hostname: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  return { hostname: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(address.slice(colon + 1)) };
}
