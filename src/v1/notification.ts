// Repository notifications (reference quay-api.md §2.13): list, create, read, delete, reset the
// failure count, and queue a test. Repository admins only. Which events, methods and webhook
// addresses are accepted, and why, is src/notify/events.ts, asked through ctx.notify; delivery
// is the outbox worker's.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { RepoStanding } from "../perm/repoRoles";
import type { NotificationRow } from "../store/meta/notifications";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { notificationView } from "./notificationView";
import { jsonResponse } from "./views";

const JsonObject = Type.Record(Type.String(), Type.Unknown());

// Quay's NotificationCreateRequest: eventConfig is required too (its UI always sends `{}`).
const CreateBody = Type.Object({
  event: Type.String(),
  method: Type.String(),
  config: JsonObject,
  eventConfig: JsonObject,
  title: Type.Optional(Type.String()),
});

/** Quay's 400 for a uuid the repository does not have (on delete, reset and test). */
function noSuchNotification(repo: RepoStanding, uuid: string) {
  const slash = repo.repo.indexOf("/");
  return ApiError.invalidRequest(`No repository notification found for: ${repo.repo.slice(0, slash)}, ${repo.repo.slice(slash + 1)}, ${uuid}`);
}

/** Quay has no 429 of its own (its nginx limits rates); Berth answers in its ApiException shape. */
function tooManyTests(retryAfterSeconds: number) {
  return new ApiError("TooManyRequests", "Too many test notifications for this namespace; try again later", {}, {
    "Retry-After": String(retryAfterSeconds),
  });
}

/** Quay's keys for a notification's entries (the helper adds `repo` and `namespace`). */
const notificationLogKeys = (row: NotificationRow) => ({ notification_id: row.uuid, event: row.event, method: row.method });
const repoTarget = (repo: RepoStanding) => ({ repo: { id: repo.repoId, name: repo.repo } });

export function notificationRoutes(api: V1App, ctx: V1Context) {
  const admin = { requireRepoAdmin: true } as const;
  const base = "/api/v1/repository/:repository/notification";
  return api
    .get(`${base}/`, async ({ repo }) => ({ notifications: (await ctx.stores.notifications.listFor(repo.repoId!)).map(notificationView) }), {
      nickname: "listRepoNotifications",
      ...admin,
    })
    .post(
      `${base}/`,
      async ({ repo, body, audit }) => {
        const b = parseBody(CreateBody, body);
        const problem = ctx.notify.validate(b);
        if (problem) throw ApiError.invalidRequest(problem, { field: problem.slice(0, problem.indexOf(":")) });
        const created = await ctx.stores.notifications.create({
          repositoryId: repo.repoId!,
          event: b.event,
          method: b.method,
          config: b.config,
          eventConfig: b.eventConfig,
          title: b.title ?? null,
        });
        audit("add_repo_notification", repoTarget(repo), notificationLogKeys(created));
        return jsonResponse(notificationView(created), 201);
      },
      { nickname: "createRepoNotification", ...admin, audit: "add_repo_notification" },
    )
    .get(
      `${base}/:uuid`,
      async ({ repo, params }) => {
        const found = await ctx.stores.notifications.get(repo.repoId!, params.uuid);
        if (!found) throw ApiError.notFound();
        return notificationView(found);
      },
      { nickname: "getRepoNotification", ...admin },
    )
    .delete(
      `${base}/:uuid`,
      async ({ repo, params, audit }) => {
        const deleted = await ctx.stores.notifications.delete(repo.repoId!, params.uuid);
        if (!deleted) throw noSuchNotification(repo, params.uuid);
        audit("delete_repo_notification", repoTarget(repo), notificationLogKeys(deleted));
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteRepoNotification", ...admin, audit: "delete_repo_notification" },
    )
    .post(
      `${base}/:uuid`,
      async ({ repo, params, audit }) => {
        // Re-enables a notification that failures disabled.
        const reset = await ctx.stores.notifications.resetFailures(repo.repoId!, params.uuid);
        if (!reset) throw noSuchNotification(repo, params.uuid);
        audit("reset_repo_notification", repoTarget(repo), notificationLogKeys(reset));
        return new Response(null, { status: 204 });
      },
      { nickname: "resetRepositoryNotificationFailures", ...admin, audit: "reset_repo_notification" },
    )
    .post(
      `${base}/:uuid/test`,
      async ({ repo, params }) => {
        // Queued on the ordinary outbox with the event's sample data; the answer does not wait for it.
        const outcome = await ctx.notify.test({ id: repo.repoId!, fullName: repo.repo }, params.uuid);
        if (outcome.kind === "not_found") throw noSuchNotification(repo, params.uuid);
        if (outcome.kind === "rate_limited") throw tooManyTests(outcome.retryAfterSeconds);
        return {};
      },
      // No audit entry: Quay's testRepoNotification records none.
      { nickname: "testRepoNotification", ...admin },
    );
}
