// The upstream registry client: what the mirror (and the proxy cache) read from another registry.
export { UpstreamClient, type FetchedManifest, type ReferrerDescriptor, type UpstreamClientOptions } from "./client";
export { UpstreamError, systemResolver, type Resolver } from "./connection";
export { DigestMismatch } from "./verifyStream";
export { parseUpstreamReference, type UpstreamReference } from "./reference";
export { DEFAULT_UPSTREAM_POLICY, refusedUpstreamHost, type UpstreamPolicy } from "./target";
export { invalidProxyUrl, type UpstreamProxy } from "./proxy";
export type { Credentials } from "./auth";
