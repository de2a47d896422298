// One webhook attempt against a loopback receiver: what counts as delivered, what as failed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sendWebhook } from "../../../src/notify/webhookSender";
import { freePort } from "../../support/server";

let receiver: ReturnType<typeof Bun.serve>;
let base: string;
const seen: { method: string; contentType: string | null; body: string }[] = [];

beforeAll(() => {
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      seen.push({ method: req.method, contentType: req.headers.get("content-type"), body: await req.text() });
      const path = new URL(req.url).pathname;
      if (path === "/ok") return new Response("fine");
      if (path === "/accepted") return new Response(null, { status: 202 });
      if (path === "/redirect") return Response.redirect(`${base}/ok`, 302);
      if (path === "/slow") return Bun.sleep(500).then(() => new Response("late"));
      return new Response("boom", { status: 500 });
    },
  });
  base = `http://127.0.0.1:${receiver.port}`;
});
afterAll(() => receiver.stop(true));

describe("sendWebhook", () => {
  test("POSTs the body as JSON; a 2xx is a delivery", async () => {
    seen.length = 0;
    expect(await sendWebhook(`${base}/ok`, '{"repository":"a/b"}')).toEqual({ ok: true });
    expect(await sendWebhook(`${base}/accepted`, "{}")).toEqual({ ok: true });
    expect(seen[0]).toEqual({ method: "POST", contentType: "application/json", body: '{"repository":"a/b"}' });
  });

  test("another status is a failure naming it and the URL", async () => {
    expect(await sendWebhook(`${base}/fail`, "{}")).toEqual({ ok: false, error: `500 response for webhook to url: ${base}/fail` });
  });

  test("a redirect is not followed and counts as a failure", async () => {
    seen.length = 0;
    const out = await sendWebhook(`${base}/redirect`, "{}");
    expect(out).toEqual({ ok: false, error: `302 response for webhook to url: ${base}/redirect` });
    expect(seen).toHaveLength(1);
  });

  test("no answer within the timeout is a failure", async () => {
    const out = await sendWebhook(`${base}/slow`, "{}", { timeoutMs: 50 });
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toContain("no answer within 50 ms");
  });

  test("a refused connection is a failure", async () => {
    const out = await sendWebhook(`http://127.0.0.1:${await freePort()}/`, "{}");
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toStartWith("webhook to url http://127.0.0.1:");
  });

  test("an aborted attempt says so", async () => {
    const ctl = new AbortController();
    const pending = sendWebhook(`${base}/slow`, "{}", { signal: ctl.signal });
    ctl.abort();
    expect(await pending).toEqual({ ok: false, error: "aborted" });
  });
});
