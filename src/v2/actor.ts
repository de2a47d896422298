import { clientAddress } from "../auth/clientAddress";
import { subjectOf, type Identity } from "../auth/identity";
import type { Actor } from "../registry/registry";
import type { V2Context } from "./context";

/**
 * Who a /v2 request acts as, for the registry's events: the verified token's subject (one object
 * per token, which listeners cache by), the client address and its user agent.
 */
export function requestActor(ctx: V2Context, request: Request): Actor {
  return {
    subject: ctx.access.verifiedSubject(request),
    ip: clientAddress(request),
    userAgent: request.headers.get("user-agent") ?? undefined,
  };
}

/** The same for a caller the token endpoint has just authenticated (it holds no token yet). */
export function identityActor(identity: Identity, request: Request): Actor {
  return { subject: subjectOf(identity), ip: clientAddress(request), userAgent: request.headers.get("user-agent") ?? undefined };
}
