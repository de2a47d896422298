// Turns quota measures (src/registry: every counted push step, every refusal, every change of a
// quota's limits) into quota_warning and quota_error deliveries, as Quay's
// maybe_trigger_quota_notification does:
// - a measure that reaches a Warning limit raises quota_warning, a Reject limit quota_error (a
//   refused push reaches it: the push would have);
// - each threshold fires once: claimed per namespace and threshold, again only after usage went
//   below it (seen at the next measure of the usage itself) or after a day (Quay's default
//   cooldown); a notice raised by a projection (a refused push, an upload whose blob no manifest
//   names yet) that usage never confirmed waits for the cooldown, so a client retrying a
//   refused push does not flood anyone; a claim that finds no notification listening is not
//   taken, so the first one added later still hears it;
// - the event is the namespace's, so it reaches the quota_warning / quota_error notifications of
//   every repository in the namespace (Quay keeps these on the namespace itself), with Quay's
//   namespace payload.
import type { QuotaReport, RegistryEvents } from "../events/registryEvents";
import type { NotificationStore } from "../store/meta/notifications";
import type { QuotaStore } from "../store/meta/quotas";
import { isDisabled } from "./events";
import { namespaceEventData, quotaEventData, type RegistryAddress } from "./payloads";

/** Quay's QUOTA_NOTIFICATION_COOLDOWN_SECONDS default: a threshold still reached fires again after a day. */
export const QUOTA_NOTICE_COOLDOWN_MS = 86_400_000;

export interface QuotaNotifierDeps {
  events: RegistryEvents;
  store: NotificationStore;
  quotas: QuotaStore;
  worker: { kick(): void };
  address: () => RegistryAddress;
}

/** Quay's payload of a quota event. */
export function quotaPayload(address: RegistryAddress, report: QuotaReport & { thresholdPercent: number }): Record<string, unknown> {
  return namespaceEventData(address, report.namespace.name, quotaEventData(report.usageBytes, report.quotaBytes, report.thresholdPercent));
}

export function notifyOnQuota(deps: QuotaNotifierDeps): void {
  deps.events.onQuotaChecked(async ({ report, actual }) => {
    const ns = report.namespace;
    const reached = report.thresholdPercent ?? 0;
    // Usage itself: thresholds above it that it had reached are no longer reached.
    if (actual && (await deps.quotas.notices(ns.id)).some((n) => n.percent > reached && n.reached)) await deps.quotas.clearNoticesAbove(ns.id, reached);
    if (!report.severity || report.thresholdPercent === null) return;
    const event = report.severity === "Warning" ? "quota_warning" : "quota_error";
    const targets = (await deps.store.forNamespaceEvent(ns.id, event)).filter((n) => !isDisabled(n.numberOfFailures));
    if (!targets.length) return;
    const now = Date.now();
    if (!await deps.quotas.claimNotice(ns.id, report.thresholdPercent, now, QUOTA_NOTICE_COOLDOWN_MS, actual)) return;
    const payload = JSON.stringify(quotaPayload(deps.address(), { ...report, thresholdPercent: report.thresholdPercent }));
    for (const n of targets) await deps.store.enqueue(n.id, payload, now);
    deps.worker.kick();
  });
}
