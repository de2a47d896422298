// Quay's POST /repository/<repo>/notification/<uuid>/test: queue the event's sample data for one
// notification. It travels the ordinary outbox, so it is retried like any other delivery.
import type { NotificationRow, NotificationStore } from "../store/meta/notifications";
import { samplePayload, type RegistryAddress } from "./payloads";

export interface TestNotificationDeps {
  store: NotificationStore;
  worker: { kick(): void };
}

/** Queues the test; undefined when the repository has no notification with this uuid. */
export function queueTestNotification(
  deps: TestNotificationDeps,
  repo: { id: number; fullName: string },
  uuid: string,
  address: RegistryAddress,
): NotificationRow | undefined {
  const found = deps.store.get(repo.id, uuid);
  if (!found) return undefined;
  deps.store.enqueue(found.id, JSON.stringify(samplePayload(found.event, address, repo.fullName)), Date.now());
  deps.worker.kick();
  return found;
}
