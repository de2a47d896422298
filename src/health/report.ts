// Quay's health answer (endpoints/web.py, health/healthcheck.py): `{"data": {"services":
// {name: bool}}, "status_code": 200}`, 503 when any service fails. Each service is the result of
// a check that ran for this answer. Pure.

export type ServiceCheck = { ok: true } | { ok: false; reason: string };

export interface HealthAnswer {
  status: 200 | 503;
  body: { data: { services: Record<string, boolean> }; status_code: 200 | 503 };
  /** "storage: …; database: …" for the log when something failed. */
  failures: string[];
}

export function healthAnswer(checks: Record<string, ServiceCheck>): HealthAnswer {
  const services: Record<string, boolean> = {};
  const failures: string[] = [];
  for (const [name, check] of Object.entries(checks)) {
    services[name] = check.ok;
    if (!check.ok) failures.push(`${name}: ${check.reason}`);
  }
  const status = failures.length ? 503 : 200;
  return { status, body: { data: { services }, status_code: status }, failures };
}

/** The minimum share of the data directory's file system that must be free (Quay's DISKSPACE_HEALTH_THRESHOLD). */
export const DISK_FREE_THRESHOLD = 0.01;

/** The disk check from statfs numbers: blocks available to the process against the total. */
export function diskSpaceCheck(stat: { bavail: number; blocks: number }, threshold = DISK_FREE_THRESHOLD): ServiceCheck {
  if (stat.blocks <= 0) return { ok: true };
  const free = stat.bavail / stat.blocks;
  return free >= threshold ? { ok: true } : { ok: false, reason: `${(free * 100).toFixed(2)} % free, under ${threshold * 100} %` };
}
