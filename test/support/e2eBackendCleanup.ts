// Preloaded by bunfig.toml into every `bun test` run: with BERTH_TEST_E2E_BACKEND set, drops the
// scratch databases and bucket prefixes test/support/e2eBackend.ts made, once after the last file
// (a hook a preload registers is the run's, not one file's; Bun fires no exit event in `bun test`).
import { afterAll } from "bun:test";

if (process.env.BERTH_TEST_E2E_BACKEND) afterAll(async () => (await import("./e2eBackend")).dropAllBackends());
