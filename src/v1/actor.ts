import { clientAddress } from "../auth/clientAddress";
import { subjectOf } from "../auth/identity";
import type { Actor } from "../registry/registry";
import type { Caller } from "./caller";

/** Who an API v1 request acts as, for the registry's events (and so the audit log). */
export function callerActor(caller: Caller, request: Request): Actor {
  return { subject: subjectOf(caller.identity), ip: clientAddress(request), userAgent: request.headers.get("user-agent") ?? undefined };
}
