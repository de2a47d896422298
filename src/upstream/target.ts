// Where the mirror may connect. An admin writes the upstream's address and the registry connects
// from inside the network, so, as for webhooks (src/notify/webhookTarget.ts), its own loopback
// listeners and link-local services (cloud metadata at 169.254.169.254) are refused unless the
// operator allows them; multicast, broadcast and reserved ranges are never targets. Private ranges
// are allowed: a registry on the LAN is the common upstream. Pure: the lookup is the caller's.
import { refusedAddressesBy, refusedHostnameBy, type AddressClass } from "../addressClass";

export interface UpstreamPolicy {
  /** Loopback and unspecified addresses (mirrorAllowLoopback). */
  allowLoopback: boolean;
  /** 169.254.0.0/16 and fe80::/10 (mirrorAllowLinkLocal). */
  allowLinkLocal: boolean;
}

export const DEFAULT_UPSTREAM_POLICY: UpstreamPolicy = { allowLoopback: false, allowLinkLocal: false };

function refusedClass(cls: AddressClass, policy: UpstreamPolicy): string | undefined {
  switch (cls) {
    case "public":
    case "private":
      return undefined;
    case "loopback":
    case "unspecified":
      return policy.allowLoopback ? undefined : "a loopback address: the registry's own host (mirrorAllowLoopback is off)";
    case "linkLocal":
      return policy.allowLinkLocal ? undefined : "a link-local address, where cloud metadata services live (mirrorAllowLinkLocal is off)";
    default:
      return `a ${cls} address`;
  }
}

/** A refusal for a host name as URL parsing leaves it (literals judged now, `localhost` names too); undefined for other names. */
export function refusedUpstreamHost(hostname: string, policy: UpstreamPolicy): string | undefined {
  return refusedHostnameBy(hostname, (cls) => refusedClass(cls, policy));
}

/** One refused address refuses the name. */
export function refusedUpstreamAddresses(hostname: string, addresses: readonly string[], policy: UpstreamPolicy): string | undefined {
  return refusedAddressesBy(hostname, addresses, (cls) => refusedClass(cls, policy));
}
