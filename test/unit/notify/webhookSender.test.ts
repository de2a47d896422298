// One webhook attempt against a loopback receiver: what counts as delivered, what as failed, and
// which targets are refused before any connection. The receiver is on loopback, so deliveries
// that should arrive run with the loopback allowance on; refusals run with the default policy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sendWebhook, systemResolver, type WebhookOptions } from "../../../src/notify/webhookSender";
import { DEFAULT_TARGET_POLICY, refusedAddresses } from "../../../src/notify/webhookTarget";
import { freePort } from "../../support/server";

const allowLoopback: WebhookOptions = { policy: { ...DEFAULT_TARGET_POLICY, allowLoopback: true } };
/** A resolver answering from a table, and nothing else (no DNS in tests). */
const resolver =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<string[]> => {
    const found = table[host];
    if (!found) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return found;
  };

let receiver: ReturnType<typeof Bun.serve>;
let base: string;
const seen: { method: string; contentType: string | null; body: string; host: string | null }[] = [];

beforeAll(() => {
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      seen.push({ method: req.method, contentType: req.headers.get("content-type"), body: await req.text(), host: req.headers.get("host") });
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
    expect(await sendWebhook(`${base}/ok`, '{"repository":"a/b"}', allowLoopback)).toEqual({ ok: true });
    expect(await sendWebhook(`${base}/accepted`, "{}", allowLoopback)).toEqual({ ok: true });
    expect(seen[0]).toEqual({ method: "POST", contentType: "application/json", body: '{"repository":"a/b"}', host: `127.0.0.1:${receiver.port}` });
  });

  test("another status is a failure naming it and the URL", async () => {
    expect(await sendWebhook(`${base}/fail`, "{}", allowLoopback)).toEqual({ ok: false, error: `500 response for webhook to url: ${base}/fail` });
  });

  test("a redirect is not followed and counts as a failure", async () => {
    seen.length = 0;
    const out = await sendWebhook(`${base}/redirect`, "{}", allowLoopback);
    expect(out).toEqual({ ok: false, error: `302 response for webhook to url: ${base}/redirect` });
    expect(seen).toHaveLength(1);
  });

  test("no answer within the timeout is a failure", async () => {
    const out = await sendWebhook(`${base}/slow`, "{}", { ...allowLoopback, timeoutMs: 50 });
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toContain("no answer within 50 ms");
  });

  test("a refused connection is a failure", async () => {
    const out = await sendWebhook(`http://127.0.0.1:${await freePort()}/`, "{}", allowLoopback);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toStartWith("webhook to url http://127.0.0.1:");
  });

  test("an aborted attempt says so", async () => {
    const ctl = new AbortController();
    const pending = sendWebhook(`${base}/slow`, "{}", { ...allowLoopback, signal: ctl.signal });
    ctl.abort();
    expect(await pending).toEqual({ ok: false, error: "aborted" });
  });

  test("a name is resolved when sending and the request goes to the address checked, with the URL's Host", async () => {
    seen.length = 0;
    // hooks.test exists only in this resolver: an answer proves the connection went to its address.
    const out = await sendWebhook(`http://hooks.test:${receiver.port}/ok`, "{}", { ...allowLoopback, resolve: resolver({ "hooks.test": ["127.0.0.1"] }) });
    expect(out).toEqual({ ok: true });
    expect(seen.map((s) => s.host)).toEqual([`hooks.test:${receiver.port}`]);
  });

  test("when the first address refuses the connection, the next one gets the request", async () => {
    // The receiver listens on 127.0.0.1 only, so its port on ::1 refuses.
    const out = await sendWebhook(`http://hooks.test:${receiver.port}/ok`, "{}", {
      ...allowLoopback,
      resolve: resolver({ "hooks.test": ["::1", "127.0.0.1"] }),
    });
    expect(out).toEqual({ ok: true });
  });

  test("an address that cannot be written into the URL is not sent to (fetch would resolve the name again)", async () => {
    const policy = { ...DEFAULT_TARGET_POLICY, allowLinkLocal: true };
    const out = await sendWebhook("http://zoned.test/", "{}", { policy, resolve: resolver({ "zoned.test": ["fe80::1%eth0"] }) });
    expect(out).toEqual({ ok: false, error: "webhook to url http://zoned.test/ failed: cannot connect to fe80::1%eth0 by URL" });
  });

  test("a name that does not resolve is a failure to retry", async () => {
    const out = await sendWebhook("http://nowhere.test/", "{}", { resolve: resolver({}) });
    expect(out).toEqual({ ok: false, error: "webhook to url http://nowhere.test/ failed: getaddrinfo ENOTFOUND nowhere.test" });
  });
});

describe("sendWebhook refuses targets the policy does not allow, before connecting", () => {
  const port = () => receiver.port;
  const refused: [string, () => string, Record<string, string[]>?][] = [
    ["localhost (from /etc/hosts)", () => `http://localhost:${port()}/ok`],
    ["[::ffff:127.0.0.1]", () => `http://[::ffff:127.0.0.1]:${port()}/ok`],
    ["[::ffff:0.0.0.0]", () => `http://[::ffff:0.0.0.0]:${port()}/ok`],
    ["0.0.0.0", () => `http://0.0.0.0:${port()}/ok`],
    ["2130706433 (decimal 127.0.0.1)", () => `http://2130706433:${port()}/ok`],
    ["0x7f.1 (hex)", () => `http://0x7f.1:${port()}/ok`],
    ["017700000001 (octal)", () => `http://017700000001:${port()}/ok`],
    ["[64:ff9b::7f00:1] (NAT64)", () => `http://[64:ff9b::7f00:1]:${port()}/ok`],
    ["the cloud metadata service", () => "http://169.254.169.254/latest/meta-data/"],
    ["a name resolving to loopback", () => `http://ci.test:${port()}/ok`, { "ci.test": ["127.0.0.1"] }],
    ["a name with one loopback address among public ones", () => `http://ci.test:${port()}/ok`, { "ci.test": ["93.184.216.34", "::1"] }],
    ["a name resolving to the metadata service", () => "http://meta.test/", { "meta.test": ["169.254.169.254"] }],
  ];
  for (const [name, url, table] of refused)
    test(name, async () => {
      seen.length = 0;
      const out = await sendWebhook(url(), "{}", { resolve: table ? resolver(table) : undefined, timeoutMs: 1_000 });
      expect(out).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining("refused:") });
      expect(seen).toHaveLength(0);
    });

  test("the system resolver answers names from /etc/hosts, and their loopback answers are refused", async () => {
    const addresses = await systemResolver("localhost");
    expect(addresses.length).toBeGreaterThan(0);
    expect(refusedAddresses("localhost", addresses, DEFAULT_TARGET_POLICY)).toContain("a loopback address");
  });

  test("private addresses are refused when the policy says so", async () => {
    const out = await sendWebhook("http://ci.lan/", "{}", { policy: { ...DEFAULT_TARGET_POLICY, allowPrivate: false }, resolve: resolver({ "ci.lan": ["10.0.0.5"] }) });
    expect(out).toEqual({ ok: false, permanent: true, error: "webhook to url http://ci.lan/ refused: ci.lan resolves to 10.0.0.5, a private address (notificationAllowPrivate is off)" });
  });
});
