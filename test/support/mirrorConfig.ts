// A mirror configuration body for Quay's POST …/mirror, as tests and benchmarks send it.

/** Quay's sync_start_date format, `msAgo` in the past (due now). */
export function mirrorDate(msAgo = 1000): string {
  return new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function mirrorBody(o: { reference: string; username?: string; password?: string; globs: string[]; robot?: string; interval?: number; timeout?: number; start?: number }) {
  return {
    external_reference: o.reference,
    external_registry_username: o.username ?? null,
    external_registry_password: o.password ?? null,
    external_registry_config: { verify_tls: false },
    root_rule: { rule_kind: "tag_glob_csv", rule_value: o.globs },
    sync_interval: o.interval ?? 3600,
    sync_start_date: mirrorDate(o.start),
    skopeo_timeout_interval: o.timeout ?? 300,
    robot_username: o.robot ?? "admin+mirror",
  };
}
