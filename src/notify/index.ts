// Repository notifications, assembled: the outbox worker with the registry's webhook settings,
// the push listener, and what API v1 calls beyond the store (validators and the view are
// imported from their own files).
import type { Config } from "../config";
import type { RegistryEvents } from "../events/registryEvents";
import type { Logger } from "../log";
import type { NotificationRow } from "../store/meta/notifications";
import type { Stores } from "../store";
import { DeliveryWorker, type DeliveryWorkerOptions } from "./deliveryWorker";
import { registryAddress } from "./payloads";
import { notifyOnPush } from "./pushNotifier";
import { deliverySender } from "./sendDelivery";
import { queueTestNotification } from "./testNotification";
import type { Resolver } from "./webhookSender";
import { targetPolicy } from "./webhookTarget";

export interface Notifications {
  /** Not started here: the server starts it once it listens, and stops it before closing the store. */
  worker: DeliveryWorker;
  /**
   * Queues the sample event of notification `uuid` of `repo` (Quay's …/notification/<uuid>/test).
   * `request` is the API call, for docker_url/homepage when no public URL is configured.
   * Returns undefined when the repository has no such notification.
   */
  test(repo: { id: number; fullName: string }, uuid: string, request: Request): NotificationRow | undefined;
}

export interface NotificationDeps {
  stores: Stores;
  events: RegistryEvents;
  config: Config;
  log: Logger;
}

/** The worker's settings, and what tests replace: name resolution and the send timeout. */
export interface NotificationOptions extends DeliveryWorkerOptions {
  /** How webhook host names resolve (default: the system resolver, /etc/hosts included). */
  resolve?: Resolver;
  /** Per webhook attempt (default Quay's 10 s). */
  timeoutMs?: number;
}

export function setUpNotifications(deps: NotificationDeps, opts: NotificationOptions = {}): Notifications {
  const store = deps.stores.notifications;
  const send = opts.send ?? deliverySender({ policy: targetPolicy(deps.config), resolve: opts.resolve, timeoutMs: opts.timeoutMs });
  const worker = new DeliveryWorker(store, deps.log, { ...opts, send });
  notifyOnPush({ events: deps.events, store, worker, publicUrl: deps.config.publicUrl });
  return {
    worker,
    test: (repo, uuid, request) => queueTestNotification({ store, worker }, repo, uuid, registryAddress(deps.config.publicUrl, request)),
  };
}
