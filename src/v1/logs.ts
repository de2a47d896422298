// Usage logs (reference quay-api.md §2.11): a repository's, the caller's namespace's, an
// organization's, and every namespace's for superusers; each as pages of entries (newest first,
// 20 a page, `next_page`) and as counts per kind and day (`aggregatelogs`).
import type { V1App } from "./app";
import { LOG_KINDS, type LogKind } from "../audit/logKinds";
import type { LogEntry, LogFilter } from "../store/meta/auditLog";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { avatar, orgAvatar, rfc2822 } from "./views";

const DAY_MS = 86_400_000;
const PAGE_SIZE = 20;
// Quay leaves the service-key kinds out of a user's own logs.
const SERVICE_KEY_KINDS = LOG_KINDS.filter((k) => k.startsWith("service_key_")) as LogKind[];

type Query = Record<string, string | undefined>;

/** `MM/DD/YYYY` (UTC) as Quay reads it; undefined when absent. */
function parseDate(value: string | undefined, field: string): number | undefined {
  if (!value) return undefined;
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).getUTCDate() !== Number(m[2])) {
    throw ApiError.invalidRequest(`${field}: expected a date as MM/DD/YYYY`, { field });
  }
  return ms;
}

/** Quay's window: start defaults to a day ago, the end date counts whole (+1 day), else now. */
export function logWindow(query: Query, now = Date.now()): { startMs: number; endMs: number } {
  const start = parseDate(query.starttime, "starttime") ?? now - DAY_MS;
  const end = parseDate(query.endtime, "endtime");
  const endMs = end === undefined ? now + 1 : end + DAY_MS;
  if (endMs < start) throw ApiError.invalidRequest("Invalid time range: end must be after start");
  return { startMs: start, endMs };
}

export function logRoutes(api: V1App, ctx: V1Context) {
  const entryView = async (e: LogEntry, withNamespace: boolean) => {
    const view: Record<string, unknown> = { kind: e.kind, metadata: e.metadata, ip: e.ip ?? null, datetime: rfc2822(e.createdMs) };
    if (e.performer) {
      const robot = e.performer.kind === "robot";
      view.performer = { kind: "user", name: e.performer.name, is_robot: robot, avatar: avatar(e.performer.name, robot ? "robot" : "user") };
    }
    if (withNamespace && e.namespaceName) {
      const ns = await ctx.stores.namespaces.settings(e.namespaceName);
      const kind = ns?.kind ?? "user";
      view.namespace = { kind, name: e.namespaceName, avatar: kind === "org" ? orgAvatar({ name: e.namespaceName, email: ns?.email }) : avatar(e.namespaceName, kind) };
    }
    return view;
  };

  const page = async (filter: Omit<LogFilter, "startMs" | "endMs">, query: Query, withNamespace = false) => {
    const window = logWindow(query);
    const full: LogFilter = { ...filter, ...window, ...(query.performer ? { performerName: query.performer } : {}) };
    const got = await ctx.stores.auditLog.page(full, query.next_page || undefined, PAGE_SIZE);
    return {
      start_time: rfc2822(window.startMs),
      end_time: rfc2822(window.endMs),
      logs: await Promise.all(got.entries.map((e) => entryView(e, withNamespace))),
      ...(got.next ? { next_page: got.next } : {}),
    };
  };

  const aggregate = async (filter: Omit<LogFilter, "startMs" | "endMs">, query: Query) => {
    const full: LogFilter = { ...filter, ...logWindow(query), ...(query.performer ? { performerName: query.performer } : {}) };
    return { aggregated: (await ctx.stores.auditLog.aggregate(full)).map((c) => ({ kind: c.kind, count: c.count, datetime: rfc2822(c.dayMs) })) };
  };

  const namespaceId = async (name: string) => (await ctx.stores.orgs.namespace(name))?.id ?? -1;
  const repoRead = { requireRepoAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  const orgRead = { requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  const superRead = { requireSuperuser: "read", requireFreshLogin: true } as const;

  return api
    .get("/api/v1/repository/:repository/logs", ({ repo, query }) => page({ repositoryId: repo.repoId! }, query), { nickname: "listRepoLogs", ...repoRead })
    .get("/api/v1/repository/:repository/aggregatelogs", ({ repo, query }) => aggregate({ repositoryId: repo.repoId! }, query), {
      nickname: "getAggregateRepoLogs",
      ...repoRead,
    })
    .get("/api/v1/user/logs", async ({ user, query }) => page({ namespaceId: await namespaceId(user.username), excludeKinds: SERVICE_KEY_KINDS }, query), {
      nickname: "listUserLogs",
      requireUserAdmin: true,
    })
    .get("/api/v1/user/aggregatelogs", async ({ user, query }) => aggregate({ namespaceId: await namespaceId(user.username), excludeKinds: SERVICE_KEY_KINDS }, query), {
      nickname: "getAggregateUserLogs",
      requireUserAdmin: true,
    })
    .get("/api/v1/organization/:orgname/logs", ({ org, query }) => page({ namespaceId: org.ns.id }, query), { nickname: "listOrgLogs", ...orgRead })
    .get("/api/v1/organization/:orgname/aggregatelogs", ({ org, query }) => aggregate({ namespaceId: org.ns.id }, query), {
      nickname: "getAggregateOrgLogs",
      ...orgRead,
    })
    .get("/api/v1/superuser/logs", ({ query }) => page({}, query, true), { nickname: "listAllLogs", ...superRead })
    .get("/api/v1/superuser/aggregatelogs", ({ query }) => aggregate({}, query), { nickname: "listAllAggregateLogs", ...superRead });
}
