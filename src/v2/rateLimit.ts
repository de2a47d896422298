// The rate limits (src/auth/rateLimits.ts) as /v2 answers them: 429 TOOMANYREQUESTS in the OCI
// error body, with Retry-After. The address's bucket is asked before the caller is checked (a
// flood of bad tokens costs the flooder), the account's once the token has said who it is.
import { clientAddress } from "../auth/clientAddress";
import type { TokenSubject } from "../auth/identity";
import type { LimitClass } from "../auth/rateLimits";
import type { V2Context } from "./context";
import { RegistryError } from "./errors";

/** Throws 429 TOOMANYREQUESTS when the request's address (or `account`, when given) has no token left in `cls`. */
export async function takeRateToken(ctx: V2Context, cls: LimitClass, request: Request, account?: TokenSubject): Promise<void> {
  const decision = await ctx.limits.take(cls, account ? { account } : { address: clientAddress(request) });
  if (decision.allowed) return;
  const seconds = decision.retryAfterSeconds;
  throw new RegistryError("TOOMANYREQUESTS", `too many requests; retry in ${seconds} s`, { retryAfter: seconds }, { "Retry-After": String(seconds) });
}
