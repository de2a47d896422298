// One webhook attempt: POST the event as JSON, as Quay's WebhookMethod does. Whether and when
// to try again is the delivery worker's business.

/** Quay's NOTIFICATION_SEND_TIMEOUT default. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export type SendOutcome = { ok: true } | { ok: false; error: string };

export interface WebhookOptions {
  timeoutMs?: number;
  /** Aborts the attempt early (shutdown); the outcome is then a failure naming the abort. */
  signal?: AbortSignal;
}

/**
 * POSTs `body` (JSON text) to `url`. A 2xx answer is a delivery; any other status, a redirect
 * (not followed: a receiver must not bounce the registry elsewhere, such as to its own
 * loopback), a timeout or a network error is a failed attempt.
 */
export async function sendWebhook(url: string, body: string, opts: WebhookOptions = {}): Promise<SendOutcome> {
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "Berth-Notifications" },
      body,
      redirect: "manual",
      signal,
    });
    // The body is of no interest; drain it so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `${res.status} response for webhook to url: ${url}` };
  } catch (e) {
    if (timeout.aborted) return { ok: false, error: `no answer within ${timeoutMs} ms from webhook url: ${url}` };
    if (opts.signal?.aborted) return { ok: false, error: "aborted" };
    return { ok: false, error: `webhook to url ${url} failed: ${(e as Error)?.message ?? e}` };
  }
}
