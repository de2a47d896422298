// What /health asks of the database: a read, and (end to end) a write read back. One row of
// health_probes is overwritten each time. Failures are values with the database's own words.
import { eq, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { healthProbes } from "../schema";

export type ProbeOutcome = { ok: true } | { ok: false; reason: string };

const ROW_ID = 1;

function failed(e: unknown): ProbeOutcome {
  return { ok: false, reason: (e as Error)?.message ?? String(e) };
}

export class HealthProbeStore {
  constructor(private readonly db: MetaDb) {}

  /** A query on a table of the schema: the connection answers and the migrations ran. */
  async read(): Promise<ProbeOutcome> {
    try {
      this.db.select({ n: sql<number>`count(*)` }).from(healthProbes).all();
      return { ok: true };
    } catch (e) {
      return failed(e);
    }
  }

  /** Commits a fresh token, then reads it back. */
  async writeAndRead(token: string, nowMs: number): Promise<ProbeOutcome> {
    try {
      this.db
        .insert(healthProbes)
        .values({ id: ROW_ID, token, writtenMs: nowMs })
        .onConflictDoUpdate({ target: healthProbes.id, set: { token, writtenMs: nowMs } })
        .run();
      const row = this.db.select({ token: healthProbes.token }).from(healthProbes).where(eq(healthProbes.id, ROW_ID)).get();
      return row?.token === token ? { ok: true } : { ok: false, reason: "the row read back differs from the one written" };
    } catch (e) {
      return failed(e);
    }
  }
}
