// A registry with something to show, made over the public API (as a browser would) and one push
// through /v2: used by the screenshot script and the web UI benchmark.
import { OciLayoutWriter, run } from "./e2eHelpers";
import { tempDir } from "./server";
import { V1Client } from "./v1Client";

/** Signs in over API v1 with a session cookie and CSRF token; throws on any refusal. */
export async function adminClient(base: string, username: string, password: string): Promise<V1Client> {
  const c = new V1Client(base);
  const res = await c.fetch("/csrf_token");
  c.csrfToken = ((await res.json()) as { csrf_token: string }).csrf_token;
  const signin = await c.post("/api/v1/signin", { username, password });
  if (signin.status !== 200) throw new Error(`signin: ${signin.status} ${await signin.text()}`);
  return c;
}

/** Calls and checks: a refusal stops the seeding with the API's answer. */
export async function ok(res: Promise<Response>): Promise<unknown> {
  const r = await res;
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${r.status} ${r.url}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Pushes one small image under `tags` with skopeo (plain HTTP, the given credentials). */
export async function pushImage(host: string, repository: string, tags: string[], creds: string, opts: { layers?: number; layerSize?: number } = {}) {
  const src = tempDir("berth-ui-seed-");
  const layout = new OciLayoutWriter(src);
  const image = layout.addImage({ layers: opts.layers ?? 2, layerSize: opts.layerSize ?? 64 * 1024 });
  for (const t of tags) layout.tag(t, image.manifest);
  for (const t of tags) {
    await run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", creds, `oci:${src}:${t}`, `docker://${host}/${repository}:${t}`]);
  }
  return { image, dir: src };
}

/** The screenshots' registry: an organization with a team, a robot, repositories with tags, history and a label. */
export async function seedShowcase(base: string, host: string, password: string): Promise<void> {
  const c = await adminClient(base, "admin", password);
  await ok(c.post("/api/v1/organization/", { name: "acme", email: "platform@acme.example" }));
  await ok(c.put("/api/v1/organization/acme/team/builders", { role: "creator", description: "CI and release engineers" }));
  await ok(c.put("/api/v1/organization/acme/team/readers", { role: "member", description: "Everyone who pulls" }));
  await ok(c.put("/api/v1/organization/acme/robots/ci", { description: "Pushes from the CI pipeline" }));
  await ok(c.put("/api/v1/organization/acme/team/builders/members/acme+ci"));
  for (const [name, description, visibility] of [
    ["api", "The public API server", "public"],
    ["web", "Front end", "private"],
    ["worker", "Background jobs", "private"],
  ]) {
    await ok(c.post("/api/v1/repository", { namespace: "acme", repository: name, visibility, description, repo_kind: "image" }));
  }
  await ok(c.put("/api/v1/repository/acme/api/permissions/team/builders", { role: "write" }));
  await ok(c.put("/api/v1/repository/acme/api/permissions/team/readers", { role: "read" }));
  const { image } = await pushImage(host, "acme/api", ["v1.0.0", "v1.1.0", "latest"], `admin:${password}`, { layers: 3 });
  await pushImage(host, "acme/web", ["2024.06", "latest"], `admin:${password}`);
  await ok(c.delete("/api/v1/repository/acme/api/tag/v1.0.0"));
  await ok(c.post(`/api/v1/repository/acme/api/manifest/${image.manifest.digest}/labels`, { key: "maintainer", value: "platform@acme.example", media_type: "text/plain" }));
  await ok(c.post("/api/v1/repository/acme/api/notification/", { event: "repo_push", method: "webhook", config: { url: "https://ci.acme.example/hooks/registry" }, eventConfig: {}, title: "Notify CI" }));
  await ok(c.post("/api/v1/user/starred", { namespace: "acme", repository: "api" }));
}
