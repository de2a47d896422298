// Turns successful tagged manifest pushes into repo_push deliveries.
//
// One event per manifest PUT that named a tag, with `updated_tags: [tag]`: exactly what Quay's
// /v2 does (endpoints/v2/manifest.py spawns repo_push after each tagged write). A client pushing
// several tags of one image therefore causes several events; pushes by digest cause none.
//
// The rows are written inside the push request, before its answer (a before-answer listener: the
// operation waits for it, on PostgreSQL its round trips too): once the client has its 201, the
// event survives a crash. Sending happens later, in the delivery worker.
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
  deps.events.onBeforeAnswer("manifestPushed", async (event) => {
    if (!event.tag) return;
    const targets = (await deps.store.forEvent(event.repo.id, "repo_push")).filter((n) => !isDisabled(n.numberOfFailures));
    if (!targets.length) return;
    const payload = JSON.stringify(repoPushPayload(deps.address(), event.repo.name, [event.tag]));
    const now = Date.now();
    for (const n of targets) await deps.store.enqueue(n.id, payload, now);
    deps.worker.kick();
  });
}
