// Repository notifications, assembled: the outbox worker with the registry's webhook settings,
// the push and quota listeners, and what API v1 calls beyond the store (src/v1/notificationActions.ts
// says what that is; app.ts hands this object to API v1).
import type { Config } from "../config";
import type { RegistryEvents } from "../events/registryEvents";
import type { Logger } from "../log";
import type { Stores } from "../store";
import { DeliveryWorker, type DeliveryWorkerOptions } from "./deliveryWorker";
import { registryAddress, type RegistryAddress } from "./payloads";
import { validateNotification, type NotificationInput } from "./events";
import { notifyOnPush } from "./pushNotifier";
import { notifyOnQuota } from "./quotaNotifier";
import { notifyOnMirrorSync } from "./mirrorNotifier";
import { deliverySender, type DeliveryOutcome, type DeliverySender } from "./sendDelivery";
import { queueTestNotification, type TestOutcome } from "./testNotification";
import type { TestRateLimiter, TokenBucketOptions } from "./testRateLimit";
import type { DeliveryClaims } from "./deliveryClaims";
import type { Resolver } from "./webhookSender";
import { targetPolicy } from "./webhookTarget";

export interface Notifications {
  /** Not started here: start() runs once the server listens; the server stops it before closing the store. */
  worker: DeliveryWorker;
  /** Starts delivering. `port` is the one the server listens on (payloads name it when no publicUrl is set). */
  start(port: number): void;
  /** Why a notification may not be created (events.ts, with the configured webhook target policy), or undefined. */
  validate(input: NotificationInput): string | undefined;
  /** Queues the sample event of notification `uuid` of `repo` (Quay's …/notification/<uuid>/test). */
  test(repo: { id: number; fullName: string }, uuid: string): Promise<TestOutcome>;
}

export interface NotificationDeps {
  stores: Stores;
  events: RegistryEvents;
  config: Config;
  log: Logger;
  /** State only one process can hold, built where the app is composed: the test allowance, the outbox claims. */
  testLimiter: TestRateLimiter;
  claims: DeliveryClaims;
  /** Told every send's outcome (the metrics count deliveries and failures). */
  onSent?: (outcome: DeliveryOutcome) => void;
}

/** The worker's settings, and what tests replace: name resolution, the send timeout, the test allowance. */
export interface NotificationOptions extends DeliveryWorkerOptions {
  /** How webhook host names resolve (default: the system resolver, /etc/hosts included). */
  resolve?: Resolver;
  /** Per webhook attempt (default Quay's 10 s). */
  timeoutMs?: number;
  /** Test notifications per namespace (the single-node limiter's settings). */
  testLimit?: TokenBucketOptions;
}

export function setUpNotifications(deps: NotificationDeps, opts: NotificationOptions = {}): Notifications {
  const store = deps.stores.notifications;
  const policy = targetPolicy(deps.config);
  const sender = opts.send ?? deliverySender({ policy, resolve: opts.resolve, timeoutMs: opts.timeoutMs });
  const onSent = deps.onSent;
  const send: DeliverySender = onSent ? async (delivery, signal) => {
    const outcome = await sender(delivery, signal);
    onSent(outcome);
    return outcome;
  } : sender;
  const worker = new DeliveryWorker(store, deps.log, deps.claims, { ...opts, send });
  // The configured port until the server says which one it listens on (they differ for port 0).
  let address: RegistryAddress = registryAddress(deps.config, deps.config.port);
  notifyOnPush({ events: deps.events, store, worker, address: () => address });
  notifyOnQuota({ events: deps.events, store, quotas: deps.stores.quotas, worker, address: () => address });
  notifyOnMirrorSync({ events: deps.events, store, worker, address: () => address });
  const limiter = deps.testLimiter;
  return {
    worker,
    start(port) {
      address = registryAddress(deps.config, port);
      worker.start();
    },
    validate: (input) => validateNotification(input, policy),
    test: (repo, uuid) => queueTestNotification({ store, worker, limiter }, repo, uuid, address),
  };
}
