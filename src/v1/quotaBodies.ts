// The bodies of Quay's quota endpoints and their checks, shared by the organization and the
// superuser routes. Each refusal is Quay's 400 naming the field.
import { Type } from "@sinclair/typebox";
import type { QuotaLimitType } from "../store/meta/quotas";
import { parseBody } from "./body";
import { ApiError } from "./errors";
import { parseQuotaSize, QUOTA_LIMIT_PATTERN } from "./quotaSize";

const SIZE_FIELDS = {
  limit_bytes: Type.Optional(Type.Integer({ description: "Number of bytes the namespace is allowed" })),
  limit: Type.Optional(Type.String({ pattern: QUOTA_LIMIT_PATTERN, maxLength: 64, description: "Human readable storage capacity (e.g. 10 GiB)" })),
};
/** Creating: one of limit_bytes and limit (Quay's oneOf); other keys are ignored. */
const NewQuota = Type.Object(SIZE_FIELDS);
/** Changing: one of them, or neither (nothing changes); nothing else. */
const UpdateQuota = Type.Object(SIZE_FIELDS, { additionalProperties: false });

const NewLimit = Type.Object({
  type: Type.String({ maxLength: 32, description: 'Type of quota limit: "Warning" or "Reject"' }),
  threshold_percent: Type.Integer({ description: "Quota threshold, in percent of quota" }),
});
const UpdateLimit = Type.Partial(NewLimit);

/**
 * The bytes a quota body asks for, checked; undefined when a change asks for none (Quay changes
 * nothing for a missing or zero size). `badFormat` is the message for a `limit` that does not
 * parse (it differs between Quay's endpoints).
 */
export function quotaSizeOf(body: unknown, change: "create" | "update", badFormat: string): number | undefined {
  const b = parseBody(change === "create" ? NewQuota : UpdateQuota, body);
  if (b.limit_bytes !== undefined && b.limit !== undefined) throw ApiError.invalidRequest("limit: give limit_bytes or limit, not both", { field: "limit" });
  const field = b.limit !== undefined ? "limit" : "limit_bytes";
  const bytes = b.limit !== undefined ? parseQuotaSize(b.limit) : b.limit_bytes;
  if (b.limit !== undefined && bytes === undefined) throw ApiError.invalidRequest(badFormat, { field });
  if (change === "update" && !bytes) return undefined;
  if (bytes === undefined) throw ApiError.invalidRequest("limit_bytes: required (or limit)", { field });
  // Quay: positive; Berth also needs a size the database and JSON hold exactly.
  if (bytes <= 0) throw ApiError.invalidRequest(`Invalid quota size limit value: '${bytes}'`, { field });
  if (!Number.isSafeInteger(bytes)) throw ApiError.invalidRequest("Unsupported quota size limit.", { field });
  return bytes;
}

/** Quay's _quota_type: either name, in any case. */
function limitType(type: string): QuotaLimitType {
  const lower = type.toLowerCase();
  if (lower === "warning") return "Warning";
  if (lower === "reject") return "Reject";
  throw ApiError.invalidRequest("Quota type must be one of [Warning, Reject]", { field: "type" });
}

function thresholdPercent(percent: number): number {
  if (percent < 1 || percent > 100) throw ApiError.invalidRequest("Quota limit threshold must be between 1 and 100", { field: "threshold_percent" });
  return percent;
}

/** A new limit's type and threshold. */
export function newLimitOf(body: unknown): { type: QuotaLimitType; percent: number } {
  const b = parseBody(NewLimit, body);
  return { type: limitType(b.type), percent: thresholdPercent(b.threshold_percent) };
}

/** What a limit change sets (absent fields keep their value). */
export function limitChangeOf(body: unknown): { type?: QuotaLimitType; percent?: number } {
  const b = parseBody(UpdateLimit, body);
  return {
    ...(b.type !== undefined ? { type: limitType(b.type) } : {}),
    ...(b.threshold_percent !== undefined ? { percent: thresholdPercent(b.threshold_percent) } : {}),
  };
}
