// A whole story driven the way a script drives Quay, over HTTP only, against the compiled binary:
// sign up, create an org, a team, a robot and a repository; grant the team write; push with the
// robot through skopeo; list, move, expire, delete and restore a tag; then read the usage logs
// that the story wrote.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { layoutRef, OciLayoutWriter, run, type LayoutDescriptor } from "../support/e2eHelpers";
import { startBinary, tempDir, type BinaryServer } from "../support/server";
import { expectJson, V1Client } from "../support/v1Client";

let srv: BinaryServer;
const dirs: string[] = [];
let src: string;
let one: { manifest: LayoutDescriptor };
let two: { manifest: LayoutDescriptor };

beforeAll(async () => {
  srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: "story-Admin-pw-1" } });
  dirs.push(srv.dataDir);
  src = tempDir("berth-story-src-");
  dirs.push(src);
  const layout = new OciLayoutWriter(src);
  one = layout.addImage({ layers: 1, layerSize: 32 * 1024 });
  two = layout.addImage({ layers: 2, layerSize: 16 * 1024 });
  layout.tag("one", one.manifest);
  layout.tag("two", two.manifest);
});

afterAll(async () => {
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const registry = () => `127.0.0.1:${srv.port}`;
const skopeo = (args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

test("org → team → robot → repository → team write → robot push → tag life → usage logs", async () => {
  // Sign up (anonymous, with the CSRF token) and stay signed in.
  const dana = new V1Client(srv.url);
  await dana.fetchCsrf();
  await expectJson(await dana.post("/api/v1/user/", { username: "dana", password: "dana-Story-pw-1", email: "dana@example.com" }), 200);

  // The organization, a team, a robot in the team, a repository, the team's grant.
  expect(await expectJson(await dana.post("/api/v1/organization/", { name: "story", email: "ops@story.example" }), 201)).toBe("Created");
  expect((await expectJson(await dana.put("/api/v1/organization/story/team/builders", { role: "member", description: "CI" }), 200)).new_team).toBe(true);
  const robot = await expectJson(await dana.put("/api/v1/organization/story/robots/ci", { description: "pushes" }), 201);
  expect(robot.name).toBe("story+ci");
  await expectJson(await dana.put("/api/v1/organization/story/team/builders/members/story+ci"), 200);
  await expectJson(await dana.post("/api/v1/repository", { namespace: "story", repository: "app", visibility: "private", description: "the app" }), 201);
  await expectJson(await dana.put("/api/v1/repository/story/app/permissions/team/builders", { role: "write" }), 200);
  expect((await expectJson(await dana.get("/api/v1/organization/story/team/builders/permissions"), 200)).permissions).toEqual([
    { repository: { name: "app", is_public: false }, role: "write" },
  ]);

  // The robot pushes two images through skopeo, with its token as the password.
  const creds = `story+ci:${robot.token}`;
  await skopeo(["copy", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", creds, `oci:${src}:one`, `docker://${registry()}/story/app:v1`]);
  await skopeo(["copy", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", creds, `oci:${src}:two`, `docker://${registry()}/story/app:latest`]);
  const liveDigest = async (tag: string) => {
    const res = await skopeo(["inspect", "--raw", "--tls-verify=false", "--creds", creds, `docker://${registry()}/story/app:${tag}`]);
    return `sha256:${new Bun.CryptoHasher("sha256").update(res.stdout).digest("hex")}`;
  };
  expect(await liveDigest("latest")).toBe(two.manifest.digest);

  // List the tags; move latest to the first image; expire v1 in an hour; delete latest; restore it.
  const tags = async () => (await expectJson(await dana.get("/api/v1/repository/story/app/tag/?onlyActiveTags=true"), 200)).tags;
  expect((await tags()).map((t: any) => t.name).sort()).toEqual(["latest", "v1"]);
  expect(await expectJson(await dana.put("/api/v1/repository/story/app/tag/latest", { manifest_digest: one.manifest.digest }), 201)).toBe("Updated");
  expect(await liveDigest("latest")).toBe(one.manifest.digest);
  const inAnHour = Math.floor(Date.now() / 1000) + 3600;
  await expectJson(await dana.put("/api/v1/repository/story/app/tag/v1", { expiration: inAnHour }), 201);
  expect((await tags()).find((t: any) => t.name === "v1").end_ts).toBe(inAnHour);
  expect((await dana.delete("/api/v1/repository/story/app/tag/latest")).status).toBe(204);
  expect((await tags()).map((t: any) => t.name)).toEqual(["v1"]);
  await expectJson(await dana.post("/api/v1/repository/story/app/tag/latest/restore", { manifest_digest: two.manifest.digest }), 200);
  expect(await liveDigest("latest")).toBe(two.manifest.digest);
  // The pulled image is the pushed one.
  const dst = tempDir("berth-story-dst-");
  dirs.push(dst);
  await skopeo(["copy", "--src-tls-verify=false", "--preserve-digests", "--src-creds", creds, `docker://${registry()}/story/app:latest`, `oci:${dst}:latest`]);
  expect(layoutRef(dst, "latest")?.digest).toBe(two.manifest.digest);

  // The usage logs hold the story, newest first, with who did what.
  const repoLogs = (await expectJson(await dana.get("/api/v1/repository/story/app/logs"), 200)).logs as any[];
  const kinds = repoLogs.map((l) => l.kind);
  for (const kind of ["create_repo", "change_repo_permission", "push_repo", "move_tag", "change_tag_expiration", "delete_tag", "revert_tag", "pull_repo"]) {
    expect(kinds).toContain(kind);
  }
  const pushes = repoLogs.filter((l) => l.kind === "push_repo");
  expect(pushes.length).toBeGreaterThanOrEqual(2);
  for (const p of pushes) expect(p.performer).toMatchObject({ kind: "user", name: "story+ci", is_robot: true });
  const moved = repoLogs.find((l) => l.kind === "move_tag");
  expect(moved.performer.name).toBe("dana");
  expect(moved.metadata).toMatchObject({ tag: "latest", manifest_digest: one.manifest.digest, original_manifest_digest: two.manifest.digest });
  const times = repoLogs.map((l) => Date.parse(l.datetime));
  expect([...times].sort((a, b) => b - a)).toEqual(times);

  const orgKinds = ((await expectJson(await dana.get("/api/v1/organization/story/logs"), 200)).logs as any[]).map((l) => l.kind);
  for (const kind of ["org_create", "org_create_team", "create_robot", "org_add_team_member", "create_repo"]) expect(orgKinds).toContain(kind);
  const userKinds = ((await expectJson(await dana.get("/api/v1/user/logs"), 200)).logs as any[]).map((l) => l.kind);
  expect(userKinds).toContain("user_create");
});
