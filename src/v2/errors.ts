// The /v2 error descriptors, as Distribution's errcode registers them: each kind of error names
// the spec's code, its HTTP status and a default message, in this one table. Call sites name a
// kind; registryErrorResponse is the one place an error becomes the wire format.
import type { Refusal } from "../registry/outcomes";

/** The OCI distribution spec's codes (and Distribution's extras clients know). */
type OciCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "RANGE_INVALID"
  | "PAGINATION_NUMBER_INVALID"
  | "TAG_INVALID"
  | "NOT_FOUND"
  | "INVALID_REQUEST"
  | "UNKNOWN";

interface ErrorDescriptor {
  code: OciCode;
  status: number;
  message: string;
  /** Quay marks its read-only-registry error with `"is_readonly": true` beside the code. */
  isReadOnly?: true;
}

export const V2_ERRORS = {
  BLOB_UNKNOWN: { code: "BLOB_UNKNOWN", status: 404, message: "blob unknown to registry" },
  BLOB_UPLOAD_INVALID: { code: "BLOB_UPLOAD_INVALID", status: 400, message: "blob upload invalid" },
  BLOB_UPLOAD_UNKNOWN: { code: "BLOB_UPLOAD_UNKNOWN", status: 404, message: "blob upload unknown to registry" },
  DIGEST_INVALID: { code: "DIGEST_INVALID", status: 400, message: "provided digest did not match uploaded content" },
  MANIFEST_BLOB_UNKNOWN: { code: "MANIFEST_BLOB_UNKNOWN", status: 400, message: "manifest references a blob unknown to the repository" },
  MANIFEST_INVALID: { code: "MANIFEST_INVALID", status: 400, message: "manifest invalid" },
  MANIFEST_UNKNOWN: { code: "MANIFEST_UNKNOWN", status: 404, message: "manifest unknown" },
  NAME_INVALID: { code: "NAME_INVALID", status: 400, message: "invalid repository name" },
  NAME_UNKNOWN: { code: "NAME_UNKNOWN", status: 404, message: "repository name not known to registry" },
  SIZE_INVALID: { code: "SIZE_INVALID", status: 400, message: "provided length did not match content length" },
  UNAUTHORIZED: { code: "UNAUTHORIZED", status: 401, message: "authentication required" },
  DENIED: { code: "DENIED", status: 403, message: "requested access to the resource is denied" },
  UNSUPPORTED: { code: "UNSUPPORTED", status: 405, message: "the operation is unsupported" },
  TOOMANYREQUESTS: { code: "TOOMANYREQUESTS", status: 429, message: "too many requests" },
  RANGE_INVALID: { code: "RANGE_INVALID", status: 416, message: "invalid content range" },
  PAGINATION_NUMBER_INVALID: { code: "PAGINATION_NUMBER_INVALID", status: 400, message: "invalid number of results requested" },
  TAG_INVALID: { code: "TAG_INVALID", status: 400, message: "manifest tag did not match URI" },
  NOT_FOUND: { code: "NOT_FOUND", status: 404, message: "not found" },
  INVALID_REQUEST: { code: "INVALID_REQUEST", status: 400, message: "invalid request" },
  UNKNOWN: { code: "UNKNOWN", status: 500, message: "unknown error" },

  // Berth's refusals: a spec code at the status clients and Quay expect for the case.
  /** A logged-in caller without the right: challenged again with error="insufficient_scope". */
  INSUFFICIENT_SCOPE: { code: "DENIED", status: 401, message: "requested access to the resource is denied" },
  /** Quay answers 409 for an immutable tag; its TAG_IMMUTABLE is not a spec code, so DENIED carries it. */
  TAG_IMMUTABLE: { code: "DENIED", status: 409, message: "tag is immutable" },
  /** A read-only registry (registryState: readonly): Quay's ReadOnlyMode, word for word, with its `is_readonly`. */
  REGISTRY_READ_ONLY: {
    code: "DENIED",
    status: 405,
    message: "System is currently read-only. Pulls will succeed but all write operations are currently suspended.",
    isReadOnly: true,
  },
  /** A repository whose state is READ_ONLY (Quay: 405). */
  REPOSITORY_READ_ONLY: { code: "UNSUPPORTED", status: 405, message: "repository is read-only" },
  /** A push past the namespace's quota: Quay's QuotaExceeded, word for word. */
  QUOTA_EXCEEDED: { code: "DENIED", status: 403, message: "Quota has been exceeded on namespace" },
  /** A second request writing to the same upload session. */
  UPLOAD_BUSY: { code: "BLOB_UPLOAD_INVALID", status: 409, message: "another request is writing to this upload" },
  /** A body over its cap (manifests, API bodies). */
  BODY_TOO_LARGE: { code: "SIZE_INVALID", status: 413, message: "request body too large" },
  /** Something the client sent that Berth does not handle (a digest algorithm, schema 1): refused as input, 400. */
  UNSUPPORTED_INPUT: { code: "UNSUPPORTED", status: 400, message: "unsupported" },
  /** A body that did not arrive in time. */
  BODY_TIMEOUT: { code: "INVALID_REQUEST", status: 408, message: "request body timed out" },
} as const satisfies Record<string, ErrorDescriptor>;

export type V2ErrorKind = keyof typeof V2_ERRORS;

export class RegistryError extends Error {
  readonly code: OciCode;
  readonly status: number;
  constructor(
    readonly kind: V2ErrorKind,
    message?: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    const descriptor: ErrorDescriptor = V2_ERRORS[kind];
    super(message ?? descriptor.message);
    this.code = descriptor.code;
    this.status = descriptor.status;
  }
}

/** A failure of the pure grammar (src/oci: names, references, digests, manifests): always the client's input. */
export function grammarError(failure: { code: V2ErrorKind; message: string; detail?: unknown }, detail?: unknown): RegistryError {
  return new RegistryError(failure.code === "UNSUPPORTED" ? "UNSUPPORTED_INPUT" : failure.code, failure.message, detail ?? failure.detail);
}

/** A guard's refusal (src/registry/guards.ts) as /v2 answers it. */
export function refusalError(refusal: Refusal): RegistryError {
  switch (refusal.kind) {
    case "registryReadOnly":
      // Quay's detail is empty.
      return new RegistryError("REGISTRY_READ_ONLY", undefined, {});
    case "unknownRepository":
      return new RegistryError("NAME_UNKNOWN", "repository name not known to registry");
    case "readOnly":
      return new RegistryError("REPOSITORY_READ_ONLY", `${refusal.repo} is in read-only mode`, { name: refusal.repo });
    case "mirror":
      // Quay's check_repository_state, word for word.
      return new RegistryError("REPOSITORY_READ_ONLY", `Repository ${refusal.repo} is a mirror. Mirrored repositories cannot be modified directly.`, { name: refusal.repo });
    case "proxyCache":
      return new RegistryError("UNSUPPORTED", "cannot push to a proxy cache organization", { name: refusal.repo });
    case "immutable":
      return new RegistryError("TAG_IMMUTABLE", `tag '${refusal.tag}' is immutable`, { tag: refusal.tag });
    case "expiring":
    case "expiryInPast":
      // Tag expiry is API v1's; /v2 never sets one.
      return new RegistryError("DENIED", `tag '${refusal.tag}' cannot be changed that way`, { tag: refusal.tag });
    case "quotaExceeded":
      // Quay's detail is empty too: the namespace is the one the client pushes to.
      return new RegistryError("QUOTA_EXCEEDED", undefined, {});
  }
}

export const API_VERSION_HEADER = { "Docker-Distribution-API-Version": "registry/2.0" } as const;

export function registryErrorResponse(err: RegistryError, method: string): Response {
  const readOnly = (V2_ERRORS[err.kind] as ErrorDescriptor).isReadOnly ? { is_readonly: true } : {};
  const body = JSON.stringify({
    errors: [{ code: err.code, message: err.message, ...(err.detail !== undefined ? { detail: err.detail } : {}), ...readOnly }],
  });
  return new Response(method === "HEAD" ? null : body, {
    status: err.status,
    headers: {
      ...API_VERSION_HEADER,
      "Content-Type": "application/json; charset=utf-8",
      ...(method === "HEAD" ? {} : { "Content-Length": String(Buffer.byteLength(body)) }),
      ...err.headers,
    },
  });
}
