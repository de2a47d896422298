// What /health asks of the database: a read, and (end to end) a write read back. One row of
// health_probes is overwritten each time. Failures are values with the database's own words.
import { count, eq } from "drizzle-orm";
import { all, changes, one, type Runner } from "../dialect/program";

export type ProbeOutcome = { ok: true } | { ok: false; reason: string };

const ROW_ID = 1;

function failed(e: unknown): ProbeOutcome {
  return { ok: false, reason: (e as Error)?.message ?? String(e) };
}

export class HealthProbeStore {
  constructor(private readonly q: Runner) {}

  /** A query on a table of the schema: the connection answers and the migrations ran. */
  async read(): Promise<ProbeOutcome> {
    try {
      await this.q.run(function* ({ db, t }) {
        yield* all(db.select({ n: count() }).from(t.healthProbes));
      });
      return { ok: true };
    } catch (e) {
      return failed(e);
    }
  }

  /** Commits a fresh token, then reads it back. */
  async writeAndRead(token: string, nowMs: number): Promise<ProbeOutcome> {
    try {
      const row = await this.q.run(function* ({ db, t }) {
        yield* changes(
          db
            .insert(t.healthProbes)
            .values({ id: ROW_ID, token, writtenMs: nowMs })
            .onConflictDoUpdate({ target: t.healthProbes.id, set: { token, writtenMs: nowMs } }),
        );
        return yield* one(db.select({ token: t.healthProbes.token }).from(t.healthProbes).where(eq(t.healthProbes.id, ROW_ID)));
      });
      return row?.token === token ? { ok: true } : { ok: false, reason: "the row read back differs from the one written" };
    } catch (e) {
      return failed(e);
    }
  }
}
