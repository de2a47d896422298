// Turns successful tagged manifest pushes into repo_push deliveries.
//
// One event per manifest PUT that named a tag, with `updated_tags: [tag]`: exactly what Quay's
// /v2 does (endpoints/v2/manifest.py spawns repo_push after each tagged write). A client pushing
// several tags of one image therefore causes several events; pushes by digest cause none.
//
// On SQLite the rows are written inside the push request, before its answer (the store's
// promises are settled when they return): once the client has its 201, the event survives a
// crash. On PostgreSQL they are written a moment after the answer (each read and write is a
// round trip the listener awaits), so a crash in that moment loses the notification
// (docs/POSTGRES.md). Sending happens later, in the delivery worker.
import type { RegistryEvents } from "../events/registryEvents";
import type { NotificationStore } from "../store/meta/notifications";
import { isDisabled } from "./events";
import { repoPushPayload, type RegistryAddress } from "./payloads";

export interface PushNotifierDeps {
  events: RegistryEvents;
  store: NotificationStore;
  worker: { kick(): void };
  /** The registry's configured address, for docker_url and homepage (never the push's Host). */
  address: () => RegistryAddress;
}

export function notifyOnPush(deps: PushNotifierDeps): void {
  deps.events.on("manifestPushed", async (event) => {
    if (!event.tag) return;
    const targets = (await deps.store.forEvent(event.repo.id, "repo_push")).filter((n) => !isDisabled(n.numberOfFailures));
    if (!targets.length) return;
    const payload = JSON.stringify(repoPushPayload(deps.address(), event.repo.name, [event.tag]));
    const now = Date.now();
    for (const n of targets) await deps.store.enqueue(n.id, payload, now);
    deps.worker.kick();
  });
}
