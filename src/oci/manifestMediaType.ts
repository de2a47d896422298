// Which kind of manifest a pushed document is. Clients disagree on where they say it: most set
// both the body's mediaType and Content-Type, some only one, old OCI tools neither. Order: the
// body's own field, then a specific Content-Type, then the document's shape.

import {
  bareMediaType,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  isSchema1MediaType,
  MANIFEST_MEDIA_TYPES,
  OCI_INDEX,
  OCI_MANIFEST,
} from "./mediaTypes.ts";
import { isJsonObject } from "./descriptor.ts";
import { quoteForMessage } from "./quoteForMessage.ts";

export const SCHEMA1_MESSAGE = "Docker schema 1 manifests are not supported; push schema 2 or OCI";

export type ResolvedMediaType = { ok: true; mediaType: string } | { ok: false; message: string };

/** Content-Types that say nothing about the manifest kind. */
function isGenericContentType(bare: string): boolean {
  return bare === "" || bare === "application/json";
}

export function resolveManifestMediaType(
  body: Record<string, unknown>,
  contentType: string | null,
): ResolvedMediaType {
  if (body.mediaType !== undefined && typeof body.mediaType !== "string") {
    return { ok: false, message: "manifest mediaType must be a string" };
  }
  const fromBody = body.mediaType as string | undefined;
  const ct = bareMediaType(contentType ?? "");
  const fromHeader = isGenericContentType(ct) ? undefined : ct;

  // Schema 1 gets its own message whichever way it is announced.
  if (
    (fromBody !== undefined && isSchema1MediaType(fromBody.toLowerCase())) ||
    (fromHeader !== undefined && isSchema1MediaType(fromHeader)) ||
    body.schemaVersion === 1
  ) {
    return { ok: false, message: SCHEMA1_MESSAGE };
  }
  if (body.schemaVersion !== 2) {
    return { ok: false, message: "manifest schemaVersion must be 2" };
  }
  if (fromBody !== undefined && fromHeader !== undefined && fromBody.toLowerCase() !== fromHeader) {
    return {
      ok: false,
      message: `manifest mediaType ${quoteForMessage(fromBody)} does not match Content-Type ${quoteForMessage(fromHeader)}`,
    };
  }

  const declared = fromBody ?? fromHeader ?? detectFromShape(body);
  if (declared === undefined) {
    return {
      ok: false,
      message: "cannot tell the manifest media type: set the mediaType field or a manifest Content-Type",
    };
  }
  const canonical = MANIFEST_MEDIA_TYPES.find((mt) => mt === declared.toLowerCase());
  if (!canonical) {
    return {
      ok: false,
      message: `unsupported manifest media type ${quoteForMessage(declared)}; use one of ${MANIFEST_MEDIA_TYPES.join(", ")}`,
    };
  }
  // The Docker schemas make the mediaType field mandatory (Distribution rejects it missing too).
  if (fromBody === undefined && (canonical === DOCKER_MANIFEST || canonical === DOCKER_MANIFEST_LIST)) {
    return { ok: false, message: `a ${canonical} manifest must include the mediaType field` };
  }
  return { ok: true, mediaType: canonical };
}

// OCI manifests may omit mediaType (it is only a SHOULD), so fall back to the document's shape.
function detectFromShape(body: Record<string, unknown>): string | undefined {
  if (Array.isArray(body.manifests)) return OCI_INDEX;
  if (isJsonObject(body.config)) return OCI_MANIFEST;
  return undefined;
}
