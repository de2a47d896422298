// What API v1 asks of repository notifications beyond the store. src/notify implements it
// (setUpNotifications) and app.ts hands it over in the context, so the routes stay HTTP only:
// which events, methods and webhook addresses are acceptable is notify's knowledge, and the same
// target policy guards every delivery.

/** A notification about to be created, as the request body gave it. */
export interface NotificationToCreate {
  event: string;
  method: string;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
}

export type TestNotificationOutcome = { kind: "queued" } | { kind: "not_found" } | { kind: "rate_limited"; retryAfterSeconds: number };

export interface NotificationActions {
  /** Why the notification may not be created (the message starts with the field: `config.url: …`), or undefined. */
  validate(input: NotificationToCreate): string | undefined;
  /** Queues the sample event of notification `uuid` of `repo` (Quay's …/notification/<uuid>/test). */
  test(repo: { id: number; fullName: string }, uuid: string): Promise<TestNotificationOutcome>;
}
