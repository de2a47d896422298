// What registry operations answer: typed outcomes, no HTTP. Each API turns them into its own
// wire format (OCI error JSON on /v2, Quay's error bodies on /api/v1) in one place.

/** What a guard refuses (src/registry/guards.ts). */
export type Refusal =
  /** The whole registry is read-only (registryState: readonly): no change at all. */
  | { kind: "registryReadOnly" }
  /** The repository is gone (deleted while the request ran). */
  | { kind: "unknownRepository" }
  /** The repository's state is READ_ONLY: nothing in it may change. */
  | { kind: "readOnly"; repo: string }
  /** The repository is a mirror: only its mirror (the robot it pushes as) may change it. */
  | { kind: "mirror"; repo: string }
  /** The repository is in a proxy-cache organization: only the cache stores there what it fetched. */
  | { kind: "proxyCache"; repo: string }
  /** The tag is immutable; `action` is what was refused ("move", "delete", "restore", "set expiration on"). */
  | { kind: "immutable"; tag: string; action: TagAction }
  /** An immutable tag cannot expire, so a tag that expires cannot be made immutable. */
  | { kind: "expiring"; tag: string }
  /** An expiry must lie ahead (ending a tag now is a delete). */
  | { kind: "expiryInPast"; tag: string }
  /** The push would take the namespace to its quota's Reject limit. */
  | { kind: "quotaExceeded"; namespace: string };

export type TagAction = "move" | "delete" | "restore" | "set expiration on" | "push over";

export type Ok<T = {}> = { kind: "ok" } & T;

/** The tag has no live period (never existed, deleted, or expired). */
export type NotLive = { kind: "notLive"; tag: string };
export type UnknownManifest = { kind: "unknownManifest"; digest: string };

export type TagOutcome = Ok | Refusal | NotLive | UnknownManifest;

export type PushManifestOutcome =
  | Ok
  | Refusal
  /** A blob the manifest names is not in the repository. */
  | { kind: "missingBlob"; digest: string }
  /** A manifest an index names is not in the repository. */
  | { kind: "missingChild"; digest: string };

export type DeleteManifestOutcome = Ok<{ tags: string[] }> | Refusal | UnknownManifest;

export type BlobOutcome = Ok<{ size: number }> | Refusal | { kind: "unknownBlob"; digest: string };

/** A collector is deleting the blob's bytes right now: its row waits (the registry tries again). */
export type DeletionUnderWay = { kind: "deletionUnderWay"; digest: string };

export type CreateRepositoryOutcome =
  | Ok<{ repo: { id: number; fullName: string }; defaultGrants: number }>
  | { kind: "exists"; repo: { id: number; fullName: string } }
  /** The namespace does not exist (pushes and API v1 never create one). */
  | { kind: "noNamespace"; namespace: string }
  /** The caller may no longer create repositories there (asked again inside the transaction). */
  | { kind: "refused" }
  | { kind: "registryReadOnly" };

export type RepositoryOutcome = Ok | Refusal;

/** Whether an outcome is a guard's refusal. */
export function isRefusal(outcome: { kind: string }): outcome is Refusal {
  return outcome.kind === "registryReadOnly" || outcome.kind === "unknownRepository" || outcome.kind === "readOnly" || outcome.kind === "mirror" || outcome.kind === "proxyCache" || outcome.kind === "immutable" || outcome.kind === "expiring" || outcome.kind === "expiryInPast" || outcome.kind === "quotaExceeded";
}
