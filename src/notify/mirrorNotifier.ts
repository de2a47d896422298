// Turns a mirror's sync start and end into repo_mirror_sync_started/success/failed deliveries,
// with Quay's event data: the repository fields and the sync's message (its spawn_notification).
import type { RegistryEvents } from "../events/registryEvents";
import type { NotificationStore } from "../store/meta/notifications";
import { isDisabled } from "./events";
import { repositoryEventData, type RegistryAddress } from "./payloads";

export interface MirrorNotifierDeps {
  events: RegistryEvents;
  store: NotificationStore;
  worker: { kick(): void };
  address: () => RegistryAddress;
}

export function notifyOnMirrorSync(deps: MirrorNotifierDeps): void {
  deps.events.on("mirrorSync", async (event) => {
    const kind = `repo_mirror_sync_${event.phase}`;
    const targets = (await deps.store.forEvent(event.repo.id, kind)).filter((n) => !isDisabled(n.numberOfFailures));
    if (!targets.length) return;
    const payload = JSON.stringify(repositoryEventData(deps.address(), event.repo.name, { message: event.message }));
    const now = Date.now();
    for (const n of targets) await deps.store.enqueue(n.id, payload, now);
    deps.worker.kick();
  });
}
