// GlobalMessageStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { GlobalMessageStore } from "../../../src/store/meta/globalMessages";
import { describeEachDialect } from "./eachDialect";

describeEachDialect("globalMessages.test.ts", "GlobalMessageStore", (backend) => {
  const store = () => new GlobalMessageStore(backend().runner);

  test("create answers the message with a fresh uuid; list has them oldest first", async () => {
    const messages = store();
    expect(await messages.list()).toEqual([]);
    const first = await messages.create({ content: "maintenance at noon", mediaType: "text/plain", severity: "warning" });
    const second = await messages.create({ content: "**new** region", mediaType: "text/markdown", severity: "info" });
    expect(first).toEqual({ uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), content: "maintenance at noon", mediaType: "text/plain", severity: "warning" });
    expect(second.uuid).not.toBe(first.uuid);
    expect(await messages.list()).toEqual([first, second]);
  });

  test("delete removes one message; a second delete or an unknown uuid answers false", async () => {
    const messages = store();
    const a = await messages.create({ content: "a", mediaType: "text/plain", severity: "error" });
    const b = await messages.create({ content: "b", mediaType: "text/plain", severity: "info" });
    expect(await messages.delete(a.uuid)).toBe(true);
    expect(await messages.delete(a.uuid)).toBe(false);
    expect(await messages.delete(crypto.randomUUID())).toBe(false);
    expect(await messages.list()).toEqual([b]);
  });
});
