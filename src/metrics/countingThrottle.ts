// The login throttle with its decisions counted: what it refuses (throttled), and the outcome
// of each attempt it admitted. It changes nothing of the throttle's behaviour.
import type { LoginAttempt, LoginThrottle } from "../auth/loginThrottle";
import type { LoginOutcome } from "./metrics";

export function countingLoginThrottle(inner: LoginThrottle, count: (outcome: LoginOutcome) => void): LoginThrottle {
  return {
    async admit(attempt: LoginAttempt) {
      const admission = await inner.admit(attempt);
      if (!admission.admitted) count("throttled");
      return admission;
    },
    async settle(attempt: LoginAttempt, succeeded: boolean) {
      count(succeeded ? "succeeded" : "failed");
      return inner.settle(attempt, succeeded);
    },
    reset: () => inner.reset(),
  };
}
