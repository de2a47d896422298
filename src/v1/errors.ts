// Quay's three error dialects for API v1, and the one place they become responses.
import { externalUrl, type ExternalUrlSettings } from "../auth/externalUrl";

export type ApiErrorShape = "problem" | "message" | "error";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    readonly shape: ApiErrorShape = "problem",
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static invalidRequest(message: string, extra: Record<string, unknown> = {}) {
    return new ApiError(400, "invalid_request", message, "problem", extra);
  }
  static notFound(message = "Not Found") {
    return new ApiError(404, "not_found", message);
  }
  /** Quay's Unauthorized: 401 for anonymous callers, 403 for signed-in ones. */
  static unauthorized(signedIn: boolean) {
    return signedIn
      ? new ApiError(403, "insufficient_scope", "Unauthorized")
      : new ApiError(401, "invalid_token", "Requires authentication");
  }
  /** A method bearer tokens may not call (requireSessionLogin). */
  static sessionRequired() {
    return new ApiError(401, "invalid_token", "Requires a session login: OAuth tokens cannot call this method", "problem", { session_required: true });
  }
  static freshLoginRequired() {
    return new ApiError(401, "fresh_login_required", "Requires fresh login");
  }
  static csrf() {
    return new ApiError(403, "csrf", "CSRF token was invalid or missing.", "error");
  }
}

/** `settings` names the server in the `type` URL (publicUrl, else the request's checked host). */
export function apiErrorResponse(err: ApiError, request: Request, settings: ExternalUrlSettings): Response {
  let body: Record<string, unknown>;
  if (err.shape === "message") body = { message: err.message, ...err.extra };
  else if (err.shape === "error") body = { error: err.message, ...err.extra };
  else {
    body = {
      detail: err.message,
      error_message: err.message,
      error_type: err.errorType,
      title: err.errorType,
      type: externalUrl(settings, request, `/api/v1/error/${err.errorType}`),
      status: err.status,
      ...err.extra,
    };
  }
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: { "Content-Type": "application/json", ...err.headers },
  });
}
