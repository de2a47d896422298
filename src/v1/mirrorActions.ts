// What API v1's mirror routes ask of the mirror worker beyond the store (src/mirror/index.ts
// provides it; v1 does not import the worker).
export interface MirrorActions {
  /** Why an external reference cannot be mirrored, or undefined. */
  checkReference(reference: string): string | undefined;
  /** Why a proxy address cannot be used (not an http(s) URL of a host, or an address the policy refuses), or undefined. */
  checkProxy(url: string): string | undefined;
  /** Why an architecture_filter is invalid (Quay's message), or undefined. */
  checkArchitectures(filter: readonly string[] | null | undefined): string | undefined;
  /** Look for due mirrors now (after sync-now). */
  kick(): void;
}
