// HealthProbeStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { HealthProbeStore } from "../../../src/store/meta/healthProbe";
import { describeEachDialect } from "./eachDialect";

describeEachDialect("healthProbe.test.ts", "HealthProbeStore", (backend) => {
  test("read answers ok; writeAndRead overwrites the one row and reads each token back", async () => {
    const health = new HealthProbeStore(backend().runner);
    expect(await health.read()).toEqual({ ok: true });
    expect(await health.writeAndRead("first", 1)).toEqual({ ok: true });
    expect(await health.writeAndRead("second", 2 ** 41)).toEqual({ ok: true });
  });

  test("a database that does not answer is a failed outcome with its reason, not a throw", async () => {
    const health = new HealthProbeStore(backend().runner);
    await backend().close();
    const read = await health.read();
    const write = await health.writeAndRead("x", 1);
    expect(read.ok).toBe(false);
    expect(write.ok).toBe(false);
    expect(read.ok ? "" : read.reason).not.toBe("");
  });
});
