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
import { refusedAddressesBy, refusedHostnameBy, type AddressClass } from "../addressClass";

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

/** A refusal for a hostname before DNS (address literals and `localhost` names); undefined for other names. */
export function refusedHostname(hostname: string, policy: TargetPolicy): string | undefined {
  return refusedHostnameBy(hostname, (cls) => refusedClass(cls, policy));
}

/** The addresses a name resolved to: one refused address refuses the name (and all of them). */
export function refusedAddresses(hostname: string, addresses: readonly string[], policy: TargetPolicy): string | undefined {
  return refusedAddressesBy(hostname, addresses, (cls) => refusedClass(cls, policy));
}
