// What Quay's web client reads on every page (reference quay-api.md §2.13): global messages,
// which superusers post and delete (Quay's globalmessages.py: body, validation, 201/204), and the
// caller's notifications (Quay's shape; Berth raises none yet).
import { beforeAll, describe, expect, test } from "bun:test";
import { withStaleLogins } from "../support/clock";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { boss: "boss-Secret-1", auditor: "auditor-Secret-1", alice: "alice-Secret-1" } as const;

const world = worldForFile({ config: { auth: "token", superusers: "boss", readonlySuperusers: "auditor" }, users: PASSWORDS });
let server: TestServer;
beforeAll(() => ({ server } = world));

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const anonymous = async () => {
  const c = new V1Client(server.url);
  await c.fetchCsrf();
  return c;
};
const messages = async () => (await expectJson(await new V1Client(server.url).get("/api/v1/messages"), 200)).messages as any[];
const body = (content: string, severity = "warning", media_type = "text/markdown") => ({ message: { content, severity, media_type } });

describe("global messages", () => {
  test("a superuser posts one, everybody (anonymous too) reads it, the superuser deletes it", async () => {
    const boss = await as("boss");
    const content = `Maintenance at **${crypto.randomUUID().slice(0, 8)}**`;
    const res = await boss.post("/api/v1/messages", body(content));
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("");

    const posted = (await messages()).find((m) => m.content === content);
    expect(posted).toEqual({ uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), content, severity: "warning", media_type: "text/markdown" });
    const alice = await as("alice");
    expect((await expectJson(await alice.get("/api/v1/messages"), 200)).messages).toContainEqual(posted);

    expect((await boss.delete(`/api/v1/message/${posted.uuid}`)).status).toBe(204);
    expect((await messages()).map((m) => m.uuid)).not.toContain(posted.uuid);
    // As Quay: deleting what is not there is no error.
    expect((await boss.delete(`/api/v1/message/${posted.uuid}`)).status).toBe(204);
  });

  test("only real superusers write: 401 anonymous, 403 users and read-only superusers; nothing posted", async () => {
    const before = await messages();
    await expectProblem(await (await anonymous()).post("/api/v1/messages", body("anon")), 401, "invalid_token");
    await expectProblem(await (await as("alice")).post("/api/v1/messages", body("user")), 403, "insufficient_scope");
    await expectProblem(await (await as("auditor")).post("/api/v1/messages", body("auditor")), 403, "insufficient_scope");
    expect(await messages()).toEqual(before);

    const boss = await as("boss");
    expect((await boss.post("/api/v1/messages", body("kept"))).status).toBe(201);
    const kept = (await messages()).find((m) => m.content === "kept");
    await expectProblem(await (await as("alice")).delete(`/api/v1/message/${kept.uuid}`), 403, "insufficient_scope");
    await expectProblem(await (await anonymous()).delete(`/api/v1/message/${kept.uuid}`), 401, "invalid_token");
    expect((await messages()).map((m) => m.uuid)).toContain(kept.uuid);
    await boss.delete(`/api/v1/message/${kept.uuid}`);
  });

  test("Quay's body: content, media_type (text/plain, text/markdown) and severity (info, warning, error); 400 naming the field", async () => {
    const boss = await as("boss");
    for (const severity of ["info", "warning", "error"]) {
      for (const media of ["text/plain", "text/markdown"]) expect((await boss.post("/api/v1/messages", body(`ok ${severity}`, severity, media))).status).toBe(201);
    }
    const cases: [unknown, string][] = [
      [{}, "message"],
      [{ message: "text" }, "message"],
      [{ message: { severity: "info", media_type: "text/plain" } }, "message.content"],
      [body("x", "critical"), "message.severity"],
      [body("x", "info", "text/html"), "message.media_type"],
      [body("x".repeat(10_001)), "message.content"],
    ];
    const before = (await messages()).length;
    for (const [sent, field] of cases) {
      const problem = await expectProblem(await boss.post("/api/v1/messages", sent), 400, "invalid_request");
      expect({ sent, field: problem.field }).toEqual({ sent, field });
    }
    expect((await messages()).length).toBe(before);
    for (const m of await messages()) await boss.delete(`/api/v1/message/${m.uuid}`);
  });

  test("fresh login and CSRF, as on every superuser write", async () => {
    const boss = await as("boss");
    await expectCsrfError(await boss.post("/api/v1/messages", body("no csrf"), { csrf: false }));
    await withStaleLogins(async () => {
      await expectProblem(await boss.post("/api/v1/messages", body("stale")), 401, "fresh_login_required");
    });
    expect((await messages()).map((m) => m.content)).not.toContain("stale");
  });
});

describe("the caller's notifications", () => {
  test("Quay's shape, empty; single notifications are unknown", async () => {
    const alice = await as("alice");
    expect(await expectJson(await alice.get("/api/v1/user/notifications"), 200)).toEqual({ notifications: [], additional: false });
    expect(await expectJson(await alice.get("/api/v1/user/notifications?page=2&limit=10"), 200)).toEqual({ notifications: [], additional: false });
    const page = await expectProblem(await alice.get("/api/v1/user/notifications?page=first"), 400, "invalid_request");
    expect(page.field).toBe("page");
    const id = crypto.randomUUID();
    await expectProblem(await alice.get(`/api/v1/user/notifications/${id}`), 404, "not_found");
    await expectProblem(await alice.put(`/api/v1/user/notifications/${id}`, { dismissed: true }), 404, "not_found");
    const bad = await expectProblem(await alice.put(`/api/v1/user/notifications/${id}`, { dismissed: "yes" }), 400, "invalid_request");
    expect(bad.field).toBe("dismissed");
  });

  test("401 anonymous", async () => {
    await expectProblem(await new V1Client(server.url).get("/api/v1/user/notifications"), 401, "invalid_token");
  });
});
