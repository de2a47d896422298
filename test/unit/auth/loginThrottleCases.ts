// The login throttle's behaviour, whichever implementation holds the counters: the single-node
// one (loginThrottle.test.ts) and PostgreSQL's (test/unit/store/pgNodeState.test.ts) run these.
import { expect, test } from "bun:test";
import type { LoginAttempt, LoginThrottle } from "../../../src/auth/loginThrottle.ts";

export const NOW = 1_000_000;

/** A fresh throttle (no counters) over `clock`, whose `ms` the cases move. */
export type MakeThrottle = (clock: { ms: number }) => Promise<LoginThrottle>;

export function loginThrottleCases(make: MakeThrottle): void {
  async function throttle() {
    const clock = { ms: NOW };
    return { t: await make(clock), clock };
  }
  const bob = (address: string): LoginAttempt => ({ account: "user:2", address });

  test("concurrent attempts are reserved at admission: 60 at once, 4 admitted", async () => {
    const { t } = await throttle();
    const admissions = await Promise.all(Array.from({ length: 60 }, () => t.admit(bob("10.0.0.1"))));
    expect(admissions.filter((a) => a.admitted)).toHaveLength(4); // 3 free + the one that starts the wait
    expect(admissions.filter((a) => !a.admitted)).toHaveLength(56);
  });

  test("one address across many accounts is stopped by the address counter", async () => {
    const { t } = await throttle();
    const admissions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => t.admit({ account: `user:${i}`, address: "10.0.0.1" })),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(11);
  });

  test("another address's failures never refuse the owner; they only delay, at most 2 s", async () => {
    const { t, clock } = await throttle();
    for (let a = 0; a < 20; a++) {
      clock.ms += 10;
      for (let i = 0; i < 4; i++) expect((await t.admit(bob(`10.9.0.${a}`))).admitted).toBe(true);
    }
    const owner = await t.admit(bob("192.168.1.5"));
    expect(owner).toEqual({ admitted: true, delayMs: 2000 });
    await t.settle(bob("192.168.1.5"), true);
    // The attackers' addresses are refused meanwhile.
    expect((await t.admit(bob("10.9.0.3"))).admitted).toBe(false);
  });

  test("a success clears the pair, but not the address's other failures", async () => {
    const { t } = await throttle();
    for (let i = 0; i < 4; i++) await t.admit(bob("10.0.0.1"));
    expect((await t.admit(bob("10.0.0.1"))).admitted).toBe(false);
    for (let i = 0; i < 7; i++) await t.admit({ account: `user:${100 + i}`, address: "10.0.0.1" });
    // 11 failures from 10.0.0.1 in all: the address waits too.
    expect(await t.admit({ account: "user:1", address: "10.0.0.1" })).toEqual({ admitted: false, retryAfterSeconds: 1 });
    await t.reset();
    const mallory = { account: "user:9", address: "10.0.0.1" };
    for (let i = 0; i < 10; i++) await t.admit({ account: `user:${200 + i}`, address: "10.0.0.1" });
    await t.admit(mallory);
    await t.settle(mallory, true); // logging into one's own account gives back that one attempt only
    expect((await t.admit({ account: "user:300", address: "10.0.0.1" })).admitted).toBe(true);
    expect((await t.admit({ account: "user:301", address: "10.0.0.1" })).admitted).toBe(false);
  });

  test("a failure's wait starts when its slow check ends", async () => {
    const { t, clock } = await throttle();
    for (let i = 0; i < 4; i++) await t.admit(bob("10.0.0.1"));
    clock.ms += 800; // the checks take a while
    for (let i = 0; i < 4; i++) await t.settle(bob("10.0.0.1"), false);
    clock.ms += 500;
    expect(await t.admit(bob("10.0.0.1"))).toEqual({ admitted: false, retryAfterSeconds: 1 });
  });

  test("after the wait the next attempt is admitted", async () => {
    const { t, clock } = await throttle();
    for (let i = 0; i < 5; i++) await t.admit(bob("10.0.0.1"));
    expect(await t.admit(bob("10.0.0.1"))).toEqual({ admitted: false, retryAfterSeconds: 1 });
    clock.ms += 999;
    expect((await t.admit(bob("10.0.0.1"))).admitted).toBe(false);
    clock.ms += 1;
    expect((await t.admit(bob("10.0.0.1"))).admitted).toBe(true); // the 5th failure: now 2 s
    expect(await t.admit(bob("10.0.0.1"))).toEqual({ admitted: false, retryAfterSeconds: 2 });
  });
}
