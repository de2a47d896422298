// Quotas and storage use as Quay's API shows them: the quota endpoints' view, the short form the
// organization, user and superuser views embed (`quotas`), and `quota_report` (bytes used and the
// configured quota) on namespaces and listed repositories. Berth's usage is exact at every moment,
// so Quay's backfill status is always "complete".
import type { Stores } from "../store";
import type { QuotaLimitRow, QuotaRow } from "../store/meta/quotas";
import { formatQuotaSize } from "./quotaSize";

export const limitView = (l: QuotaLimitRow) => ({ id: l.id, type: l.type, limit_percent: l.percent });

/** Quay's namespacequota.quota_view (Berth has no system-wide default quota). */
export const quotaView = (q: QuotaRow) => ({
  id: q.id,
  limit_bytes: q.limitBytes,
  limit: formatQuotaSize(q.limitBytes),
  default_config: false,
  limits: q.limits.map(limitView),
  default_config_exists: false,
});

/** The form organization, user and superuser views embed (Quay's organization.quota_view). */
const quotaSummary = (q: QuotaRow) => ({ id: q.id, limit_bytes: q.limitBytes, limits: q.limits.map(limitView) });

/** Quay's get_quota_for_view. */
const namespaceReport = (usedBytes: number, quota: QuotaRow | undefined) => ({
  quota_bytes: usedBytes,
  configured_quota: quota?.limitBytes ?? null,
  running_backfill: "complete",
  backfill_status: "complete",
});

export interface NamespaceQuotaFields {
  quotas: ReturnType<typeof quotaSummary>[];
  quota_report: ReturnType<typeof namespaceReport>;
}

type QuotaStores = Pick<Stores, "namespaces" | "quotas" | "quotaUsage">;

/** `quotas` and `quota_report` of each named namespace (a page of users or organizations at once). */
export async function namespaceQuotaFields(stores: QuotaStores, names: string[]): Promise<Map<string, NamespaceQuotaFields>> {
  const ids = await stores.namespaces.idsByName(names);
  const quotas = await stores.quotas.ofNamespaces([...ids.values()]);
  const used = await stores.quotaUsage.namespacesBytes([...ids.values()]);
  const out = new Map<string, NamespaceQuotaFields>();
  for (const name of names) {
    const id = ids.get(name);
    const quota = id === undefined ? undefined : quotas.get(id);
    out.set(name, { quotas: quota ? [quotaSummary(quota)] : [], quota_report: namespaceReport(id === undefined ? 0 : (used.get(id) ?? 0), quota) });
  }
  return out;
}

/** One namespace's `quotas` and `quota_report`. */
export async function quotaFieldsOf(stores: QuotaStores, name: string): Promise<NamespaceQuotaFields> {
  return (await namespaceQuotaFields(stores, [name])).get(name)!;
}

/** Each listed repository's `quota_report`: the bytes its manifests name and its namespace's quota (Quay's add_quota_view). */
export async function repositoryQuotaReports(stores: QuotaStores, rows: { id: number; namespace: string }[]): Promise<Map<number, { quota_bytes: number; configured_quota: number | null }>> {
  const namespaces = [...new Set(rows.map((r) => r.namespace))];
  const ids = await stores.namespaces.idsByName(namespaces);
  const quotas = await stores.quotas.ofNamespaces([...ids.values()]);
  const sizes = await stores.quotaUsage.repositoriesBytes(rows.map((r) => r.id));
  return new Map(
    rows.map((r) => {
      const nsId = ids.get(r.namespace);
      return [r.id, { quota_bytes: sizes.get(r.id) ?? 0, configured_quota: (nsId !== undefined ? quotas.get(nsId)?.limitBytes : undefined) ?? null }];
    }),
  );
}
