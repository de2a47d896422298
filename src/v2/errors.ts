// The OCI distribution error codes and the one place they become the wire format.

export const V2_ERROR_STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  TAG_INVALID: 400,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  UNKNOWN: 500,
} as const;

export type V2ErrorCode = keyof typeof V2_ERROR_STATUS;

export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: V2ErrorCode,
    message: string,
    readonly detail?: unknown,
    status?: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status ?? V2_ERROR_STATUS[code];
  }
}

export const API_VERSION_HEADER = { "Docker-Distribution-API-Version": "registry/2.0" } as const;

export function registryErrorResponse(err: RegistryError, method: string): Response {
  const body = JSON.stringify({
    errors: [{ code: err.code, message: err.message, ...(err.detail !== undefined ? { detail: err.detail } : {}) }],
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
