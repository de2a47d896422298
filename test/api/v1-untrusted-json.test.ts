// Issue 8 item 11: user data never causes a 500. JSON bodies nested ~100 000 deep parse fine but
// overflowed the stack where they were stored or logged (robot metadata, notification config):
// the robot was created, then the answer was a 500. Bodies nested past the bound are a 400 now,
// before anything is written.
import { beforeAll, expect, test } from "bun:test";
import { expectJson, expectProblem, type V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const world = worldForFile({ users: { alice: "alice-Secret-1" }, sessions: ["alice"] });
let alice: V1Client;
beforeAll(() => (alice = world.session("alice")));

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
const send = (path: string, method: string, body: string) =>
  alice.fetch(path, { method, body, headers: { "Content-Type": "application/json" } });

test("a robot with deeply nested metadata: 400 and no robot", async () => {
  const res = await send("/api/v1/user/robots/deep", "PUT", `{"description":"x","unstructured_metadata":{"a":${deep(100_000)}}}`);
  await expectProblem(res, 400, "invalid_request", /nests deeper/);
  const missing = await alice.get("/api/v1/user/robots/deep");
  expect({ status: missing.status, body: await missing.json() }).toEqual({ status: 400, body: { message: "Could not find robot with specified username" } });
  // Ordinary nesting still works.
  const ok = await send("/api/v1/user/robots/shallow", "PUT", `{"description":"x","unstructured_metadata":{"a":${deep(10)}}}`);
  expect((await expectJson(ok, 201)).name).toBe("alice+shallow");
});

test("a notification with a deeply nested config or event config: 400 and none stored", async () => {
  await expectJson(await alice.post("/api/v1/repository", { repository: "app", visibility: "private", description: "" }), 201);
  const path = "/api/v1/repository/alice/app/notification/";
  for (const body of [
    `{"event":"repo_push","method":"webhook","config":{"url":"http://example.com/","x":${deep(100_000)}},"eventConfig":{}}`,
    `{"event":"repo_push","method":"webhook","config":{"url":"http://example.com/"},"eventConfig":{"x":${deep(100_000)}}}`,
  ]) {
    await expectProblem(await send(path, "POST", body), 400, "invalid_request", /nests deeper/);
  }
  expect((await expectJson(await alice.get(path), 200)).notifications).toEqual([]);
});
