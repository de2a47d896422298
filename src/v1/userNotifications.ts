// The caller's notifications (Quay's /user/notifications), which Quay's web client reads on every
// page. Berth raises none yet, so the list is empty and no uuid names one; the shapes, paging
// parameters and body checks are Quay's, so clients work unchanged once some exist.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { intQuery } from "./query";

const UpdateNotification = Type.Object({ dismissed: Type.Optional(Type.Boolean()) });

export function userNotificationRoutes(api: V1App, ctx: V1Context) {
  const internal = { internal: true, requireUserAdmin: true } as const;
  return (
    api
      .get(
        "/api/v1/user/notifications",
        ({ query }) => {
          intQuery(query, "page", 0);
          intQuery(query, "limit", 5);
          return { notifications: [], additional: false };
        },
        { nickname: "listUserNotifications", ...internal },
      )
      .get(
        "/api/v1/user/notifications/:uuid",
        () => {
          throw ApiError.notFound();
        },
        { nickname: "getUserNotification", ...internal },
      )
      // Dismissing writes no audit entry in Quay either.
      .put(
        "/api/v1/user/notifications/:uuid",
        ({ body }) => {
          parseBody(UpdateNotification, body);
          throw ApiError.notFound();
        },
        { nickname: "updateUserNotification", ...internal },
      )
  );
}
