// The rate limits (src/auth/rateLimits.ts) as API v1 answers them: a step of every API v1
// request (src/v1/app.ts), once the session has said who the caller is. Writes (every method
// but GET, HEAD and OPTIONS) always, reads when switched on; one token from the address's
// bucket and the signed-in account's, all or none. Refused: 429 in Quay's problem body
// (too_many_requests) with Retry-After; Quay leaves rates to its nginx, whose answer has no body.
import { clientAddress } from "../auth/clientAddress";
import { subjectOf } from "../auth/identity";
import { isReadMethod } from "../auth/rateLimits";
import type { Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";

/** Undefined when the class is not limited (no await on those requests), else the check. */
export function takeRateToken(ctx: V1Context, caller: Caller, request: Request): Promise<void> | undefined {
  const cls = isReadMethod(request.method) ? "read" : "v1Write";
  if (!ctx.limits.on(cls)) return undefined;
  return ctx.limits.take(cls, { address: clientAddress(request), account: subjectOf(caller.identity) }).then((decision) => {
    if (decision.allowed) return;
    const seconds = String(decision.retryAfterSeconds);
    throw new ApiError("TooManyRequests", `Too many requests; try again in ${seconds} s`, {}, { "Retry-After": seconds });
  });
}
