// Where a webhook may be sent: a decision per address class, with the settings that widen or
// narrow it. Pure: the DNS lookup and the connection are webhookSender's.
//
// A repository admin chooses the URL, and the registry makes the request from inside the network,
// so the URL must not reach what only the registry's host can: its loopback listeners (0.0.0.0
// and :: connect there too), link-local services (the cloud metadata service at 169.254.169.254
// hands out credentials), multicast, broadcast and reserved ranges. Private ranges are allowed by
// default (a CI server on the LAN is the common receiver) and can be refused.
//
// The same decision runs twice: when a notification is created (for address literals and
// `localhost` names, to answer with a 400), and before each delivery on every address the name
// resolves to then (DNS may answer differently later: rebinding).
import type { Config } from "../config";
import { classifyAddress, type AddressClass } from "../addressClass";

export interface TargetPolicy {
  /** Loopback and unspecified addresses (this host). */
  allowLoopback: boolean;
  /** 169.254.0.0/16 and fe80::/10. */
  allowLinkLocal: boolean;
  /** RFC 1918, 100.64.0.0/10, fc00::/7 and the like. */
  allowPrivate: boolean;
}

export const DEFAULT_TARGET_POLICY: TargetPolicy = { allowLoopback: false, allowLinkLocal: false, allowPrivate: true };

export function targetPolicy(config: Pick<Config, "notificationAllowLoopback" | "notificationAllowLinkLocal" | "notificationAllowPrivate">): TargetPolicy {
  return {
    allowLoopback: config.notificationAllowLoopback,
    allowLinkLocal: config.notificationAllowLinkLocal,
    allowPrivate: config.notificationAllowPrivate,
  };
}

/** Why an address of this class may not receive webhooks, or undefined when it may. */
export function refusedClass(cls: AddressClass, policy: TargetPolicy): string | undefined {
  switch (cls) {
    case "public":
      return undefined;
    case "private":
      return policy.allowPrivate ? undefined : "a private address (notificationAllowPrivate is off)";
    case "loopback":
      return policy.allowLoopback ? undefined : "a loopback address: the registry's own host (notificationAllowLoopback is off)";
    case "unspecified":
      return policy.allowLoopback ? undefined : "an unspecified address, which reaches the registry's own host (notificationAllowLoopback is off)";
    case "linkLocal":
      return policy.allowLinkLocal ? undefined : "a link-local address, where cloud metadata services live (notificationAllowLinkLocal is off)";
    default:
      return `a ${cls} address`;
  }
}

/** Names that mean this host whatever DNS says (RFC 6761). */
export function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * The part of the decision that needs no DNS, on a hostname as URL parsing leaves it (IPv4 forms
 * already canonical, IPv6 in brackets). A refusal; or undefined for an allowed address literal,
 * or for a name, which is judged by its addresses when sending.
 */
export function refusedHostname(hostname: string, policy: TargetPolicy): string | undefined {
  if (isLocalhostName(hostname)) return refusedClass("loopback", policy) && `${hostname} is ${refusedClass("loopback", policy)}`;
  const cls = classifyAddress(hostname);
  const why = cls && refusedClass(cls, policy);
  return why && `${hostname} is ${why}`;
}

/** The addresses a name resolved to: one refused address refuses the name (and all of them). */
export function refusedAddresses(hostname: string, addresses: readonly string[], policy: TargetPolicy): string | undefined {
  for (const address of addresses) {
    const cls = classifyAddress(address);
    // An answer that is no address at all is nothing to connect to.
    const why = cls ? refusedClass(cls, policy) : "not an IP address";
    if (why) return `${hostname} resolves to ${address}, ${why}`;
  }
  return undefined;
}
