// Where a cached repository lives upstream: Quay's upstream_registry ("quay.io/myorg",
// "docker.io", "registry.local:5000") is the prefix of the images the organization caches, so
// `<org>/<path>` is `<upstream_registry>/<path>` upstream (Docker Hub's `library/` added as a
// client would). Pure: no I/O.
import { parseUpstreamReference, type UpstreamReference } from "../upstream";

/** The upstream host and repository for `repo` (without the org), or why there is none. */
export function upstreamRepository(upstreamRegistry: string, repo: string): UpstreamReference | { error: string } {
  return parseUpstreamReference(`${upstreamRegistry.replace(/\/+$/, "")}/${repo}`);
}

/** The host part of upstream_registry (Quay's `upstream_registry.split("/", 1)[0]`). */
export function upstreamHostOf(upstreamRegistry: string): string {
  return upstreamRegistry.split("/", 1)[0]!.toLowerCase();
}
