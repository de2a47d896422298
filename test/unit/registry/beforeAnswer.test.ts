// Listeners whose work a change's answer waits for (RegistryEvents.onBeforeAnswer: a push's
// outbox rows): the operation resolves only once they are done, on both dialects; one that fails
// is logged and the change still answers ok. Ordinary listeners are never waited for.
import { expect, test } from "bun:test";
import { describeEachDialect } from "../store/eachDialect";
import { registryOver, repository } from "./registryOnEachDialect";

describeEachDialect(import.meta.path, "before-answer listeners", (get) => {
  test("a tagged push answers after its before-answer listener finished, not after an ordinary one", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    let release!: () => void;
    const held = new Promise<void>((go) => (release = go));
    const done: string[] = [];
    x.events.onBeforeAnswer("manifestPushed", async () => {
      await held;
      done.push("outbox");
    });
    x.events.on("manifestPushed", () => new Promise<void>(() => {})); // never settles: not waited for
    let answered = false;
    const pushed = x.push(repo, "a", [], "v1").then((r) => {
      answered = true;
      return r;
    });
    await Bun.sleep(20);
    expect(answered).toBe(false);
    release();
    expect((await pushed).outcome).toEqual({ kind: "ok" });
    expect(done).toEqual(["outbox"]);
  });

  test("a before-answer listener that fails does not fail the change", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    x.events.onBeforeAnswer("manifestPushed", async () => {
      throw new Error("outbox unwritable");
    });
    expect((await x.push(repo, "b", [], "v1")).outcome).toEqual({ kind: "ok" });
  });
});
