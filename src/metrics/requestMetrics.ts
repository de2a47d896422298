// The per-request figures: requests by family, method and status; latency by family; bytes in
// and out by family; uploads in flight; token endpoint outcomes. Recording one request is a few
// array increments (no label strings, no allocation); /metrics turns the arrays into series.
import type { Registry } from "prom-client";
import { FAMILIES, FAMILY, METHODS, STATUS_BASE, STATUS_SLOTS, familyOf, methodIndex, statusIndex } from "./families";
import { ArrayHistogram, registerComputed, type ExportedValue } from "./promExport";

// Manifest GETs answer in well under a millisecond; a 1 GiB upload takes seconds.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const TOKEN_OUTCOMES = ["issued", "refused", "throttled", "invalid", "error"] as const;

/** /v2/auth's status as an outcome: a token, wrong credentials, a throttled login, a bad request. */
function tokenOutcome(status: number): number {
  if (status === 200) return 0;
  if (status === 401 || status === 403) return 1;
  if (status === 429) return 2;
  if (status < 500) return 3;
  return 4;
}

/** What the server knows of a request when it has answered. */
export interface AnsweredRequest {
  path: string;
  method: string;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

export class RequestMetrics {
  private readonly requests = new Float64Array(FAMILIES.length * METHODS.length * STATUS_SLOTS);
  private readonly latency = new ArrayHistogram(LATENCY_BUCKETS, FAMILIES.length);
  private readonly bytesIn = new Float64Array(FAMILIES.length);
  private readonly bytesOut = new Float64Array(FAMILIES.length);
  private readonly tokens = new Float64Array(TOKEN_OUTCOMES.length);
  private uploadsInFlight = 0;

  record(r: AnsweredRequest): void {
    const family = familyOf(r.path);
    this.requests[(family * METHODS.length + methodIndex(r.method)) * STATUS_SLOTS + statusIndex(r.status)]!++;
    this.latency.observe(family, r.seconds);
    this.bytesIn[family]! += r.bytesIn;
    this.bytesOut[family]! += r.bytesOut;
    if (family === FAMILY.auth && r.path.startsWith("/v2/auth")) this.tokens[tokenOutcome(r.status)]!++;
  }

  /** An upload request (blob body) started; call the answer when it ends. */
  uploadStarted(): () => void {
    this.uploadsInFlight++;
    let ended = false;
    return () => {
      if (!ended) this.uploadsInFlight--;
      ended = true;
    };
  }

  register(registry: Registry): void {
    registerComputed(registry, { name: "berth_http_requests_total", help: "Requests answered, by API family (v2, v1, auth, other), method and status.", type: "counter" }, () => {
      const out: ExportedValue[] = [];
      for (let f = 0; f < FAMILIES.length; f++)
        for (let m = 0; m < METHODS.length; m++)
          for (let s = 0; s < STATUS_SLOTS; s++) {
            const value = this.requests[(f * METHODS.length + m) * STATUS_SLOTS + s]!;
            if (value > 0) out.push({ labels: { family: FAMILIES[f]!, method: METHODS[m]!, status: String(s + STATUS_BASE) }, value });
          }
      return out;
    });
    registerComputed(registry, { name: "berth_http_request_duration_seconds", help: "Time from a request's arrival to its answer (headers; a streamed body may take longer), by API family.", type: "histogram" }, () =>
      FAMILIES.flatMap((family, f) => this.latency.values("berth_http_request_duration_seconds", f, { family })),
    );
    const byFamily = (values: Float64Array) => () => FAMILIES.map((family, f) => ({ labels: { family }, value: values[f]! }));
    registerComputed(registry, { name: "berth_http_request_bytes_total", help: "Request body bytes received, as declared by Content-Length (a chunked body without one counts 0), by API family.", type: "counter" }, byFamily(this.bytesIn));
    registerComputed(registry, { name: "berth_http_response_bytes_total", help: "Response body bytes sent, by API family.", type: "counter" }, byFamily(this.bytesOut));
    registerComputed(registry, { name: "berth_uploads_in_flight", help: "Blob upload requests (POST, PATCH, PUT on /v2/<name>/blobs/uploads/) being received now.", type: "gauge" }, () => [
      { labels: {}, value: this.uploadsInFlight },
    ]);
    registerComputed(registry, { name: "berth_token_requests_total", help: "Registry token requests at /v2/auth by outcome: issued, refused (bad credentials), throttled, invalid (bad request), error.", type: "counter" }, () =>
      TOKEN_OUTCOMES.map((outcome, i) => ({ labels: { outcome }, value: this.tokens[i]! })),
    );
  }
}

/** Whether a request sends a blob upload body: POST, PATCH or PUT on /v2/<name>/blobs/uploads/. */
export function isUploadRequest(method: string, path: string): boolean {
  return (method === "PATCH" || method === "PUT" || method === "POST") && path.startsWith("/v2/") && path.includes("/blobs/uploads/");
}
