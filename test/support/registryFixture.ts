// The registry over a test's stores: the same operations the server runs, with an event bus the
// test may listen to (no audit log or notifications unless the test wires them).
import { RegistryEvents, type RegistryEvent } from "../../src/events/registryEvents";
import { createLogger } from "../../src/log";
import { Registry } from "../../src/registry/registry";
import type { Stores } from "../../src/store";

export interface TestRegistry {
  registry: Registry;
  events: RegistryEvents;
  /** Every registry event emitted so far, in order. */
  emitted: RegistryEvent[];
}

export function registryFor(stores: Stores): TestRegistry {
  const events = new RegistryEvents(createLogger({ requests: false, write: () => {} }));
  const emitted: RegistryEvent[] = [];
  events.onAny((e) => emitted.push(e));
  return { registry: new Registry({ writes: stores.registryWrites, events, uploads: stores.uploads }), events, emitted };
}
