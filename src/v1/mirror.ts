// Repository mirroring (Quay's endpoints/api/mirror.py): the mirror configuration of a repository
// (GET, POST to create, PUT to change), sync-now and sync-cancel. Repository admins (superusers
// with full access too; global read-only superusers may read). Creating a mirror puts the
// repository in MIRROR state, where only the mirror's robot writes (src/registry/guards.ts); the
// robot is given write permission when it has less, as Quay does. Credentials are stored
// encrypted and never shown back (the username is). The worker is src/mirror.
import type { Static } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { RepoStanding } from "../perm/repoRoles";
import type { MirrorChange } from "../store/meta/mirrors";
import { callerActor } from "./actor";
import type { AuditFn } from "./audit";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { CreateMirrorBody, mirrorView, parseMirrorDate, shownProxyValue, UpdateMirrorBody } from "./mirrorBodies";
import { refusalError } from "./registryRefusals";
import { jsonResponse } from "./views";

type Update = Static<typeof UpdateMirrorBody>;

const detail = (message: string, status = 400) => jsonResponse({ detail: message }, status);
const repoTarget = (repo: RepoStanding) => ({ repo: { id: repo.repoId, name: repo.repo } });
const SSRF_GENERIC_ERROR = "The provided registry location is not allowed";

export function mirrorRoutes(api: V1App, ctx: V1Context) {
  const R = "/api/v1/repository/:repository/mirror";
  const admin = { requireRepoAdmin: true } as const;

  /** Quay's _validate_robot_for_mirroring: a robot of the repository's namespace. */
  const robotFor = async (repo: RepoStanding, name: string) => {
    const robot = await ctx.stores.robots.byName(name);
    if (!robot) throw new ApiError("BadRequest", "Could not find robot with specified username");
    if (robot.owner !== repo.repo.slice(0, repo.repo.indexOf("/"))) throw new ApiError("BadRequest", "Invalid robot");
    return robot;
  };
  /** Quay's _setup_robot_for_mirroring: write permission unless it has write or admin already. */
  const grantWrite = async (repo: RepoStanding, robotId: number) => {
    const roles = await ctx.stores.permissions.transitive(repo.repoId!, { robotId });
    if (!roles.includes("write") && !roles.includes("admin")) await ctx.stores.permissions.set(repo.repoId!, { robotId }, "write");
  };
  const checkReference = (reference: string) => {
    const why = ctx.mirrors.checkReference(reference);
    if (why) throw ApiError.invalidRequest(`${SSRF_GENERIC_ERROR}: ${why}`);
  };
  /** Proxies (Quay's skopeo environment): http(s) URLs of hosts the upstream policy allows. */
  const checkProxy = (b: Update) => {
    const p = b.external_registry_config?.proxy;
    for (const key of ["http_proxy", "https_proxy"] as const) {
      const value = p?.[key];
      const why = value ? ctx.mirrors.checkProxy(value) : undefined;
      if (why) throw ApiError.invalidRequest(`external_registry_config.proxy.${key}: ${why}`);
    }
  };
  /** Quay's validate_architecture_filter (Berth stores a filtered index sparse, as Quay with FEATURE_SPARSE_INDEX). */
  const checkArchitectures = (b: Update): Response | undefined => {
    const why = ctx.mirrors.checkArchitectures(b.architecture_filter);
    return why ? detail(why) : undefined;
  };
  const mirrorOf = async (repo: RepoStanding) => (await ctx.stores.mirrors.get(repo.repoId!)) ?? (() => { throw ApiError.notFound(); })();

  return api
    .get(R, async ({ repo }) => mirrorView(await mirrorOf(repo), await ctx.stores.mirrorProxies.get(repo.repoId!)), {
      nickname: "getRepoMirrorConfig",
      requireRepoAdmin: { allowForGlobalReadonlySuperuser: true },
    })
    .post(
      R,
      async ({ repo, body, caller, request, audit }) => {
        const b = parseBody(CreateMirrorBody, body);
        if (await ctx.stores.mirrors.get(repo.repoId!)) return detail(`Mirror configuration already exits for repository ${repo.repo}`, 409);
        checkReference(b.external_reference);
        checkProxy(b);
        const refused = checkArchitectures(b);
        if (refused) return refused;
        if (b.skopeo_timeout_interval < 300) return detail("Skopeo timeout interval cannot be less than 300 seconds");
        const start = parseMirrorDate(b.sync_start_date);
        if (start === undefined) return detail("Incorrect DateTime format for sync_start_date.");
        const robot = await robotFor(repo, b.robot_username);
        await grantWrite(repo, robot.id);
        const created = await ctx.stores.mirrors.create({
          repositoryId: repo.repoId!,
          robotId: robot.id,
          externalReference: b.external_reference,
          username: b.external_registry_username ?? null,
          password: b.external_registry_password ?? null,
          verifyTls: b.external_registry_config?.verify_tls ?? true,
          unsignedImages: b.external_registry_config?.unsigned_images ?? false,
          tagGlobs: b.root_rule.rule_value,
          syncIntervalS: b.sync_interval,
          syncStartMs: start,
          timeoutS: b.skopeo_timeout_interval,
          isEnabled: b.is_enabled ?? true,
          architectureFilter: b.architecture_filter ?? [],
        });
        if (!created) return detail("RepoMirrorConfig already exists for this repository.", 409);
        const proxy = b.external_registry_config?.proxy;
        if (proxy) await ctx.stores.mirrorProxies.change(repo.repoId!, proxy);
        const outcome = await ctx.registry.setRepositoryState({ repo: { id: repo.repoId!, name: repo.repo }, state: "MIRROR", actor: callerActor(caller, request) });
        if (outcome.kind !== "ok") throw refusalError(outcome);
        audit("repo_mirror_config_changed", repoTarget(repo), { changed: "external_reference", to: b.external_reference });
        ctx.mirrors.kick();
        return new Response("", { status: 201 });
      },
      { nickname: "createRepoMirrorConfig", ...admin, audit: ["repo_mirror_config_changed", "change_repo_state"] },
    )
    .put(
      R,
      async ({ repo, body, audit }) => {
        const b = parseBody(UpdateMirrorBody, body);
        await mirrorOf(repo);
        // Everything is checked before anything changes (Quay's order of answers).
        if (b.external_reference !== undefined) checkReference(b.external_reference);
        let start: number | undefined;
        if (b.sync_start_date !== undefined) {
          start = parseMirrorDate(b.sync_start_date);
          if (start === undefined) return detail("Incorrect DateTime format for sync_start_date.");
        }
        if (b.skopeo_timeout_interval !== undefined && b.skopeo_timeout_interval < 300) return detail("Skopeo timeout interval cannot be less than 300 seconds.");
        checkProxy(b);
        const refused = checkArchitectures(b);
        if (refused) return refused;
        if ("external_registry_password" in b && !("external_registry_username" in b)) return detail("Unable to set a new password without also specifying a username.");
        if (b.external_registry_username === null && typeof b.external_registry_password === "string") return detail("Unable to delete username while setting a password.");
        const robot = b.robot_username !== undefined ? await robotFor(repo, b.robot_username) : undefined;
        await applyChanges(ctx, repo, b, start, robot?.id, audit);
        if (robot) await grantWrite(repo, robot.id);
        return new Response("", { status: 201 });
      },
      { nickname: "changeRepoMirrorConfig", ...admin, audit: "repo_mirror_config_changed" },
    )
    .post(
      `${R}/sync-now`,
      async ({ repo, audit }) => {
        await mirrorOf(repo);
        if (!(await ctx.stores.mirrors.syncNow(repo.repoId!))) throw ApiError.notFound();
        audit("repo_mirror_config_changed", repoTarget(repo), { changed: "sync_status", to: "SYNC_NOW" });
        ctx.mirrors.kick();
        return new Response(null, { status: 204 });
      },
      { nickname: "syncNow", ...admin, audit: "repo_mirror_config_changed" },
    )
    .post(
      `${R}/sync-cancel`,
      async ({ repo, audit }) => {
        await mirrorOf(repo);
        if (!(await ctx.stores.mirrors.cancel(repo.repoId!))) throw ApiError.notFound();
        audit("repo_mirror_config_changed", repoTarget(repo), { changed: "sync_status", to: "SYNC_CANCEL" });
        return new Response(null, { status: 204 });
      },
      { nickname: "syncCancel", ...admin, audit: "repo_mirror_config_changed" },
    );
}

/** PUT's changes, each with Quay's audit entry (`changed`, `to`; a password is never written out). */
async function applyChanges(ctx: V1Context, repo: RepoStanding, b: Update, start: number | undefined, robotId: number | undefined, audit: AuditFn): Promise<void> {
  const store = ctx.stores.mirrors;
  const id = repo.repoId!;
  const log = (changed: string, to: unknown) => audit("repo_mirror_config_changed", repoTarget(repo), { changed, to });
  const change = async (c: MirrorChange, changed: string, to: unknown) => {
    if (await store.change(id, c)) log(changed, to);
  };
  if (b.is_enabled !== undefined) await change({ isEnabled: b.is_enabled }, "is_enabled", b.is_enabled);
  if (b.external_reference !== undefined) await change({ externalReference: b.external_reference }, "external_reference", b.external_reference);
  if (robotId !== undefined) await change({ robotId }, "robot_username", b.robot_username);
  if (start !== undefined) await change({ syncStartMs: start }, "sync_start_date", b.sync_start_date);
  if (b.sync_interval !== undefined) await change({ syncIntervalS: b.sync_interval }, "sync_interval", b.sync_interval);
  if (b.skopeo_timeout_interval !== undefined) await change({ timeoutS: b.skopeo_timeout_interval }, "skopeo_timeout_interval", b.skopeo_timeout_interval);
  if (b.architecture_filter !== undefined) await change({ architectureFilter: b.architecture_filter ?? [] }, "architecture_filter", b.architecture_filter);
  if ("external_registry_username" in b && "external_registry_password" in b) {
    if (await store.changeCredentials(id, b.external_registry_username ?? null, b.external_registry_password ?? null)) {
      log("external_registry_username", b.external_registry_username ?? null);
      log("external_registry_password", b.external_registry_password == null ? null : "********");
    }
  } else if ("external_registry_username" in b) {
    if (await store.changeCredentials(id, b.external_registry_username ?? null)) log("external_registry_username", b.external_registry_username ?? null);
  }
  const config = b.external_registry_config;
  if (config?.verify_tls !== undefined) await change({ verifyTls: config.verify_tls }, "verify_tls", config.verify_tls);
  if (config?.unsigned_images !== undefined) await change({ unsignedImages: config.unsigned_images }, "unsigned_images", config.unsigned_images);
  // Quay changes and logs each proxy key on its own.
  if (config?.proxy) for (const key of await ctx.stores.mirrorProxies.change(id, config.proxy)) log(key, key === "no_proxy" ? (config.proxy[key] ?? null) : shownProxyValue(config.proxy[key]));
  if (b.root_rule !== undefined) await change({ tagGlobs: b.root_rule.rule_value }, "mirror_rule", b.root_rule.rule_value);
}
