// A namespace's usage against its quota's limits, as Quay's check_limits decides it. Pure.
//
// A limit is reached when usage is at or above its share of the quota (Quay: `size >=
// bytes_allowed`); the highest reached limit names the severity. Where a Warning and a Reject
// limit sit at the same share, Reject wins (Quay takes whichever it lists first). A quota without
// limits, like Quay's, never warns or refuses: its bytes are only shown.
import type { QuotaReport } from "../events/registryEvents";

export interface QuotaLimits {
  limitBytes: number;
  limits: readonly { type: "Warning" | "Reject"; percent: number }[];
}

export type QuotaMeasure = Pick<QuotaReport, "severity" | "thresholdPercent" | "usageBytes" | "quotaBytes">;

/** The bytes at which a limit of `percent` applies. */
export function limitShare(limitBytes: number, percent: number): number {
  return Math.floor((limitBytes * percent) / 100);
}

export function measureQuota(quota: QuotaLimits, usageBytes: number): QuotaMeasure {
  let reached: { bytes: number; type: "Warning" | "Reject"; percent: number } | undefined;
  for (const limit of quota.limits) {
    const bytes = limitShare(quota.limitBytes, limit.percent);
    if (usageBytes < bytes) continue;
    const higher = !reached || bytes > reached.bytes || (bytes === reached.bytes && limit.type === "Reject" && reached.type !== "Reject");
    if (higher) reached = { bytes, type: limit.type, percent: limit.percent };
  }
  return {
    severity: reached?.type ?? null,
    thresholdPercent: reached?.percent ?? null,
    usageBytes,
    quotaBytes: quota.limitBytes,
  };
}

/** The usage at which pushes are refused: the lowest Reject limit's share, or undefined (nothing is refused). */
export function rejectBytes(quota: QuotaLimits): number | undefined {
  let lowest: number | undefined;
  for (const limit of quota.limits) {
    if (limit.type !== "Reject") continue;
    const bytes = limitShare(quota.limitBytes, limit.percent);
    if (lowest === undefined || bytes < lowest) lowest = bytes;
  }
  return lowest;
}
