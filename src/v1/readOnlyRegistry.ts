// A read-only registry (registryState: readonly, Quay's REGISTRY_STATE) as API v1 answers it:
// Quay's check_readonly, a step of every API v1 request (src/v1/app.ts). Reads go on; any other
// method is refused with Quay's ReadOnlyModeException answer (503, `is_readonly: true`) before
// the route runs, unless the route is one Quay marks readonly_call_allowed: signing in (Berth's
// sessions are signed cookies, so a sign-in writes nothing). The registry's own changes are
// refused by its guard as well (registryWritable); this step covers what is not a registry
// change (users, organizations, robots, teams, tokens, notifications, policies…) with one rule.
// Signing out is refused as in Quay: it ends every session of the user, a write.
import type { V1Context } from "./context";
import { registryReadOnlyError } from "./registryRefusals";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Quay's readonly_call_allowed methods, by path (POST). */
const ALLOWED_WRITES = new Set(["/api/v1/signin", "/api/v1/signin/verify"]);

/** Throws Quay's read-only answer for a write while the registry is read-only. */
export function refuseWritesWhenReadOnly(ctx: V1Context, request: Request, path: string): void {
  if (ctx.config.registryState !== "readonly" || READS.has(request.method)) return;
  if (request.method === "POST" && ALLOWED_WRITES.has(path)) return;
  throw registryReadOnlyError();
}
