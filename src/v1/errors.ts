// Every error API v1 answers with, in one table (as Distribution's errcode does for /v2): its
// HTTP status, default message and body shape, and for Quay's problem bodies the error type.
// Handlers throw `new ApiError("NotFound")` or `new ApiError("InvalidRequest", "…", extra)`;
// src/v1/index.ts's onError turns them into responses with apiErrorResponse, and nothing else
// builds an error response.
import { externalUrl, type ExternalUrlSettings } from "../auth/externalUrl";

/** Quay's error dialects (reference §1.2), plus the plain text of its login backoff. */
export type ApiErrorShape =
  /** (a) Quay's ApiException family: problem+json-like, linking to /api/v1/error/<type>. */
  | "problem"
  /** (b) Flask-RESTful's abort() and Quay's app-wide handlers: `{"message": …}`. */
  | "message"
  /** (c) Quay's util.http.abort (CSRF, the browser XHR check, OAuth pages): `{"error": …}`. */
  | "error"
  /** A plain-text body. */
  | "text";

/** Quay's error types in problem bodies, with what GET /api/v1/error/<type> says about each. */
export const ERROR_TYPES = {
  invalid_request: "The request is missing a required parameter, includes an invalid parameter value, or is otherwise malformed.",
  invalid_token: "The access token provided is expired, revoked, malformed, or invalid for other reasons.",
  insufficient_scope: "The request requires higher privileges than provided by the access token.",
  fresh_login_required: "The action requires a fresh login to succeed.",
  not_found: "The resource was not found.",
  tag_immutable: "The tag is immutable: it cannot be moved, deleted or made to expire.",
  too_many_requests: "Too many requests of this kind; wait for the number of seconds in Retry-After.",
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export type ErrorDescriptor =
  | { shape: "problem"; type: ErrorType; status: number; message: string }
  | { shape: "message"; status: number; message: string }
  | { shape: "error"; status: number; message: string }
  | { shape: "text"; status: number; message: string };

const problem = (type: ErrorType, status: number, message: string) => ({ shape: "problem", type, status, message }) as const;
const abort = <S extends "message" | "error" | "text">(shape: S, status: number, message: string) => ({ shape, status, message }) as const;

export const V1_ERRORS = {
  // (a) Quay's ApiException classes.
  InvalidRequest: problem("invalid_request", 400, "Request error."),
  /** Quay's Unauthorized for an anonymous caller (and InvalidToken). */
  InvalidToken: problem("invalid_token", 401, "Requires authentication"),
  /** Quay's Unauthorized for a signed-in caller. */
  Unauthorized: problem("insufficient_scope", 403, "Unauthorized"),
  FreshLoginRequired: problem("fresh_login_required", 401, "Requires fresh login"),
  NotFound: problem("not_found", 404, "Not Found"),
  TagImmutable: problem("tag_immutable", 409, "Cannot change an immutable tag"),
  // Berth's own, in the same shape: Quay leaves rates and body sizes to its nginx.
  TooManyRequests: problem("too_many_requests", 429, "Too many requests; try again later"),
  BodyTooLarge: problem("invalid_request", 413, "request body is too large"),
  BodyTimeout: problem("invalid_request", 408, "request body did not arrive in time"),

  // (b) Flask-RESTful aborts and Quay's app-wide handlers.
  /** abort(400, message=…), and a data-model exception ("Could not find robot with specified username"). */
  BadRequest: abort("message", 400, "Bad request"),
  InvalidCredentials: abort("message", 403, "Invalid Username or Password"),
  UserCreationDisabled: abort("message", 403, "User creation is disabled. Please contact your administrator."),
  InternalError: abort("message", 500, "Internal server error"),
  /** Quay's ReadOnlyModeException handler (registryState readonly); the body adds `is_readonly: true`. */
  RegistryReadOnly: abort("message", 503, "System is currently read-only. Pulls will succeed but all write operations are currently suspended."),
  /** Quay's disallow_for_non_normal_repositories. */
  RepositoryReadOnly: abort("message", 503, "Repository is in read only or mirror mode: READ_ONLY"),
  NotImplemented: abort("message", 501, "Not implemented"),
  QuotaExceeded: abort("message", 403, "Quota has been exceeded on namespace"),

  // (c) util.http.abort.
  CsrfInvalid: abort("error", 403, "CSRF token was invalid or missing."),
  BrowserNeedsXhr: abort("error", 400, "API calls must be invoked with an X-Requested-With header if called from a browser"),
  /** The OAuth authorize pages, before a redirect can carry the error. */
  OAuthBadRequest: abort("error", 400, "invalid_request"),
  OAuthUnknownApplication: abort("error", 404, "Unknown OAuth application"),
  OAuthSignInRequired: abort("error", 401, "Requires authentication"),

  // Plain text, as Quay's login backoff.
  TooManyLogins: abort("text", 429, "Too many login attempts."),
} as const satisfies Record<string, ErrorDescriptor>;

export type ApiErrorName = keyof typeof V1_ERRORS;

export class ApiError extends Error {
  readonly descriptor: ErrorDescriptor;
  readonly status: number;

  /** `message` replaces the table's default; `extra` adds body keys; `headers` go on the response. */
  constructor(
    readonly kind: ApiErrorName,
    message?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    const descriptor: ErrorDescriptor = V1_ERRORS[kind];
    super(message ?? descriptor.message);
    this.descriptor = descriptor;
    this.status = descriptor.status;
  }

  static invalidRequest(message: string, extra: Record<string, unknown> = {}) {
    return new ApiError("InvalidRequest", message, extra);
  }
  static notFound(message?: string) {
    return new ApiError("NotFound", message);
  }
  /** Quay's Unauthorized: 401 for anonymous callers, 403 for signed-in ones. */
  static unauthorized(signedIn: boolean) {
    return new ApiError(signedIn ? "Unauthorized" : "InvalidToken");
  }
  /** A method bearer tokens may not call (requireSessionLogin). */
  static sessionRequired() {
    return new ApiError("InvalidToken", "Requires a session login: OAuth tokens cannot call this method", { session_required: true });
  }
  static freshLoginRequired() {
    return new ApiError("FreshLoginRequired");
  }
  static csrf() {
    return new ApiError("CsrfInvalid");
  }
}

/** `settings` names the server in the `type` URL (publicUrl, else the request's checked host). */
export function apiErrorResponse(err: ApiError, request: Request, settings: ExternalUrlSettings): Response {
  const d = err.descriptor;
  if (d.shape === "text") {
    return new Response(err.message, { status: d.status, headers: { "Content-Type": "text/plain;charset=utf-8", ...err.headers } });
  }
  let body: Record<string, unknown>;
  if (d.shape === "message") body = { message: err.message, ...err.extra };
  else if (d.shape === "error") body = { error: err.message, ...err.extra };
  else {
    body = {
      detail: err.message,
      error_message: err.message,
      error_type: d.type,
      title: d.type,
      type: externalUrl(settings, request, `/api/v1/error/${d.type}`),
      status: d.status,
      ...err.extra,
    };
  }
  return new Response(JSON.stringify(body), {
    status: d.status,
    headers: { "Content-Type": "application/json", ...err.headers },
  });
}
