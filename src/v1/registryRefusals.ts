// The registry's refusals (src/registry/guards.ts) as Quay's API answers them.
import type { Refusal } from "../registry/outcomes";
import { ApiError } from "./errors";

/** Quay's answer to any write while the registry is read-only (its ReadOnlyModeException handler). */
export function registryReadOnlyError(): ApiError {
  return new ApiError("RegistryReadOnly", undefined, { is_readonly: true });
}

export function refusalError(refusal: Refusal): ApiError {
  switch (refusal.kind) {
    case "registryReadOnly":
      return registryReadOnlyError();
    case "unknownRepository":
      return ApiError.notFound();
    case "readOnly":
      // Quay's disallow_for_non_normal_repositories.
      return new ApiError("RepositoryReadOnly");
    case "mirror":
      return new ApiError("RepositoryReadOnly", "Repository is in read only or mirror mode: MIRROR");
    case "proxyCache":
      return new ApiError("RepositoryReadOnly", "Repository is in a proxy cache organization: only pulls through the cache change it");
    case "immutable":
      // Quay's TagImmutable: 409 naming what was refused.
      return new ApiError("TagImmutable", `Cannot ${refusal.action} immutable tag '${refusal.tag}'`);
    case "expiryInPast":
      return ApiError.invalidRequest("expiration: must be in the future", { field: "expiration" });
    case "expiring":
      return ApiError.invalidRequest("Cannot make a tag with an expiration immutable", { field: "immutable" });
    case "quotaExceeded":
      // API v1 changes no content that counts toward quotas; should one ever, Quay's words.
      return new ApiError("QuotaExceeded");
  }
}
