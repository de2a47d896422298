// A notification as API v1 shows it (Quay's RepositoryNotification.to_dict, without the
// internal database id).
import type { NotificationRow } from "../store/meta/notifications";

export interface NotificationView {
  uuid: string;
  title: string | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  event_config: Record<string, unknown>;
  number_of_failures: number;
}

export function notificationView(row: NotificationRow): NotificationView {
  return {
    uuid: row.uuid,
    title: row.title,
    event: row.event,
    method: row.method,
    config: row.config,
    event_config: row.eventConfig,
    number_of_failures: row.numberOfFailures,
  };
}
