// Reading a body the client controls: never more than a limit, never waiting forever. Blob
// uploads stream through stallGuarded(); every other body is read whole by readCapped().
// Both stop a read by cancelling the reader (its pending read then ends), never by racing a
// long-lived promise, which would gather one reaction per chunk over a multi-GB upload.

/** The body sent nothing for the stall time; the bytes before it were delivered. */
export class BodyStalled extends Error {
  constructor(readonly stallMs: number) {
    super(`the request body sent nothing for ${stallMs / 1000} s`);
  }
}

export type CappedRead =
  | { kind: "ok"; bytes: Uint8Array }
  | { kind: "tooLarge" }
  /** Not whole within the time allowed, or the client hung up. */
  | { kind: "incomplete" };

/** Content-Length as a number; undefined when absent or not a plain decimal. */
export function declaredLength(headers: Headers): number | undefined {
  const raw = headers.get("content-length");
  if (raw === null || !/^\d{1,16}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Whether a request carries a body: chunked, or a Content-Length above zero. */
export function hasBody(headers: Headers): boolean {
  return headers.has("transfer-encoding") || (declaredLength(headers) ?? 0) > 0;
}

/** Reads the whole body if it has at most `max` bytes and arrives within `withinMs`. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, max: number, withinMs: number): Promise<CappedRead> {
  if (!body) return { kind: "ok", bytes: new Uint8Array(0) };
  const reader = body.getReader();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    void reader.cancel().catch(() => {});
  }, withinMs);
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const next = await reader.read();
      if (late) return { kind: "incomplete" };
      if (next.done) return { kind: "ok", bytes: Buffer.concat(parts, total) };
      total += next.value.byteLength;
      // Stop at the cap: the rest is never read (the caller answers with Connection: close).
      if (total > max) return { kind: "tooLarge" };
      parts.push(next.value);
    }
  } catch {
    return { kind: "incomplete" };
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => {});
  }
}

/**
 * The same bytes, but the stream fails with BodyStalled when a read waits more than `stallMs`
 * for the client. Time the consumer spends between reads (writing to disk) does not count.
 */
export function stallGuarded(body: ReadableStream<Uint8Array>, stallMs: number): ReadableStream<Uint8Array> {
  // Taken at the first read: a route that refuses before reading leaves the body untouched
  // (bodyUsed stays false, and the server closes the connection instead of draining it).
  const openReader = () => body.getReader();
  let reader: ReturnType<typeof openReader> | undefined;
  let waitingSince: number | undefined;
  let stalled = false;
  // At most one timer per stall period, armed by a waiting read (never by a stream nobody
  // reads): it re-arms for whatever is left of the period, or lapses when no read waits.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    timer = undefined;
    if (waitingSince === undefined) return;
    const waited = performance.now() - waitingSince;
    if (waited < stallMs) {
      timer = setTimeout(check, stallMs - waited);
      return;
    }
    stalled = true;
    void reader?.cancel().catch(() => {});
  };
  const stop = () => clearTimeout(timer);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        waitingSince = performance.now();
        timer ??= setTimeout(check, stallMs);
        try {
          const source = (reader ??= openReader());
          const next = await source.read();
          waitingSince = undefined;
          if (stalled) throw new BodyStalled(stallMs);
          if (next.done) {
            stop();
            controller.close();
          } else {
            controller.enqueue(next.value);
          }
        } catch (err) {
          stop();
          controller.error(err);
        }
      },
      cancel(reason) {
        stop();
        return reader ? reader.cancel(reason) : body.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
