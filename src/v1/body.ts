import type { TSchema, Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ApiError } from "./errors";
import { jsonDepthWithin } from "../oci";

/** Quay's bodies nest a few levels; a deeper one would overflow the stack where it is stored or logged. */
const MAX_BODY_DEPTH = 32;

/** Validates a JSON body against a TypeBox schema; a failure is Quay's 400 naming the field. */
export function parseBody<S extends TSchema>(schema: S, body: unknown): Static<S> {
  if (body === undefined || body === null || typeof body !== "object") throw ApiError.invalidRequest("Missing JSON body");
  if (!jsonDepthWithin(body, MAX_BODY_DEPTH)) throw ApiError.invalidRequest(`The JSON body nests deeper than ${MAX_BODY_DEPTH} levels`);
  const first = Value.Errors(schema, body).First();
  if (first) {
    const field = first.path.replace(/^\//, "").replace(/\//g, ".") || "body";
    throw ApiError.invalidRequest(`${field}: ${first.message}`, { field });
  }
  return body as Static<S>;
}
