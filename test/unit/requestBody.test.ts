// Reading bodies the client controls (src/requestBody.ts): readCapped stops at its cap and its
// deadline; stallGuarded fails a stream that sends nothing for the stall time, and only then.
import { describe, expect, test } from "bun:test";
import { BodyStalled, declaredLength, hasBody, readCapped, stallGuarded } from "../../src/requestBody";

/** A stream that sends each piece after its delay (ms), then ends unless `hang`. */
function timed(pieces: [delayMs: number, text: string][], opts: { hang?: boolean } = {}) {
  let cancelled = false;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = pieces[sent];
      if (!next) {
        if (!opts.hang) controller.close();
        else await new Promise(() => {});
        return;
      }
      await Bun.sleep(next[0]);
      sent++;
      if (!cancelled) controller.enqueue(new TextEncoder().encode(next[1]));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, wasCancelled: () => cancelled, sent: () => sent };
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<{ text: string; error?: unknown }> {
  let text = "";
  try {
    for await (const chunk of stream) text += new TextDecoder().decode(chunk);
    return { text };
  } catch (error) {
    return { text, error };
  }
}

describe("declaredLength and hasBody", () => {
  const cases: [Record<string, string>, number | undefined, boolean][] = [
    [{}, undefined, false],
    [{ "content-length": "0" }, 0, false],
    [{ "content-length": "12" }, 12, true],
    [{ "content-length": "2147483648" }, 2147483648, true],
    [{ "content-length": "-1" }, undefined, false],
    [{ "content-length": "1e9" }, undefined, false],
    [{ "transfer-encoding": "chunked" }, undefined, true],
  ];
  for (const [headers, length, body] of cases) {
    test(JSON.stringify(headers), () => {
      expect(declaredLength(new Headers(headers))).toBe(length);
      expect(hasBody(new Headers(headers))).toBe(body);
    });
  }
});

describe("readCapped", () => {
  test("a body within the cap, whole", async () => {
    const read = await readCapped(timed([[0, "hello "], [0, "world"]]).stream, 11, 1000);
    expect(read.kind === "ok" && new TextDecoder().decode(read.bytes)).toBe("hello world");
  });

  test("one byte over the cap: tooLarge, and the stream is cancelled (nothing more is read)", async () => {
    const body = timed([[0, "hello "], [0, "world!"], [0, "more"]]);
    expect(await readCapped(body.stream, 11, 1000)).toEqual({ kind: "tooLarge" });
    expect(body.sent()).toBe(2);
    expect(body.wasCancelled()).toBe(true);
  });

  test("not whole within the deadline: incomplete, even though bytes keep coming", async () => {
    const body = timed([[20, "a"], [20, "b"], [20, "c"], [20, "d"], [20, "e"]]);
    expect(await readCapped(body.stream, 100, 50)).toEqual({ kind: "incomplete" });
    expect(body.wasCancelled()).toBe(true);
  });

  test("a broken body: incomplete", async () => {
    const stream = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("hung up")) });
    expect(await readCapped(stream, 100, 1000)).toEqual({ kind: "incomplete" });
  });

  test("no body: empty", async () => {
    const read = await readCapped(null, 100, 1000);
    expect(read.kind === "ok" && read.bytes.byteLength).toBe(0);
  });
});

describe("stallGuarded", () => {
  test("a body that keeps sending, slower than the stall time in total, passes whole", async () => {
    // Wide margins (each gap a fifth of the stall time): a loaded CI machine fires timers late.
    const body = timed([[60, "a"], [60, "b"], [60, "c"], [60, "d"], [60, "e"], [60, "f"]]);
    expect(await drain(stallGuarded(body.stream, 300))).toEqual({ text: "abcdef" });
  });

  test("silence for the stall time: BodyStalled after the bytes that came, the source cancelled", async () => {
    const body = timed([[0, "ab"], [10, "c"]], { hang: true });
    const started = performance.now();
    const out = await drain(stallGuarded(body.stream, 50));
    expect(out.text).toBe("abc");
    expect(out.error).toBeInstanceOf(BodyStalled);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(body.wasCancelled()).toBe(true);
  });

  test("time the reader spends between reads does not count as the client's silence", async () => {
    const guarded = stallGuarded(timed([[0, "a"], [0, "b"]]).stream, 30);
    const reader = guarded.getReader();
    expect((await reader.read()).done).toBe(false);
    await Bun.sleep(80); // a slow disk
    expect((await reader.read()).done).toBe(false);
    expect((await reader.read()).done).toBe(true);
  });

  test("a source error passes through", async () => {
    const stream = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("hung up")) });
    const out = await drain(stallGuarded(stream, 1000));
    expect(String(out.error)).toContain("hung up");
  });
});
