// Quay's POST /repository/<repo>/notification/<uuid>/test: queue the event's sample data for one
// notification. It travels the ordinary outbox, so it is retried like any other delivery; how
// often a namespace may do this is limited (testRateLimit.ts).
import type { NotificationRow, NotificationStore } from "../store/meta/notifications";
import { samplePayload, type RegistryAddress } from "./payloads";
import type { TestRateLimiter } from "./testRateLimit";

export interface TestNotificationDeps {
  store: NotificationStore;
  worker: { kick(): void };
  limiter: TestRateLimiter;
}

export type TestOutcome =
  | { kind: "queued"; notification: NotificationRow }
  | { kind: "not_found" }
  | { kind: "rate_limited"; retryAfterSeconds: number };

/** Queues the test, unless the repository has no notification with this uuid or its namespace is over its limit. */
export async function queueTestNotification(
  deps: TestNotificationDeps,
  repo: { id: number; fullName: string },
  uuid: string,
  address: RegistryAddress,
): Promise<TestOutcome> {
  const found = await deps.store.get(repo.id, uuid);
  if (!found) return { kind: "not_found" };
  // Per namespace: a tenant's repositories share one allowance.
  const limit = await deps.limiter.take(repo.fullName.slice(0, repo.fullName.indexOf("/")));
  if (!limit.allowed) return { kind: "rate_limited", retryAfterSeconds: limit.retryAfterSeconds };
  await deps.store.enqueue(found.id, JSON.stringify(samplePayload(found.event, address, repo.fullName)), Date.now());
  deps.worker.kick();
  return { kind: "queued", notification: found };
}
