import { Elysia } from "elysia";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { v1Plugin } from "./macros";
import { v1Options } from "./session";

// Quay's cross-cutting API rules that are not a resource: OPTIONS, the browser XHR check and
// the error-type descriptions that error bodies link to.

const BROWSER = /\b(Chrome|Chromium|Firefox|Safari|Opera|OPR|Edg|MSIE|Trident)\//;

/** Descriptions served at /api/v1/error/<type> (Quay's error_type values Berth emits). */
export const ERROR_TYPES: Record<string, { title: string; description: string }> = {
  invalid_request: { title: "invalid_request", description: "The request is missing a required parameter, includes an invalid parameter value, or is otherwise malformed." },
  invalid_token: { title: "invalid_token", description: "The access token provided is expired, revoked, malformed, or invalid for other reasons." },
  insufficient_scope: { title: "insufficient_scope", description: "The request requires higher privileges than provided by the access token." },
  fresh_login_required: { title: "fresh_login_required", description: "The action requires a fresh login to succeed." },
  not_found: { title: "not_found", description: "The resource was not found." },
  too_many_requests: { title: "too_many_requests", description: "Too many requests of this kind; wait for the number of seconds in Retry-After." },
};

export function conventionRoutes(ctx: V1Context) {
  return new Elysia(v1Options(ctx, "berth-v1-conventions"))
    .use(v1Plugin(ctx))
    .onBeforeHandle({ as: "global" }, ({ request }) => {
      // BROWSER_API_CALLS_XHR_ONLY: browsers must say they are scripts on GETs (CSRF by <img>).
      if (request.method !== "GET" || !request.url.includes("/api/v1/")) return;
      if (!BROWSER.test(request.headers.get("user-agent") ?? "")) return;
      if (request.headers.get("x-requested-with") === "XMLHttpRequest") return;
      throw new ApiError(400, "invalid_request", "API calls must be invoked with an X-Requested-With header if called from a browser", "error");
    })
    .options("/api/v1/*", () => new Response("null", { status: 200, headers: { "Content-Type": "application/json" } }))
    .get(
      "/api/v1/error/:error_type",
      ({ params }) => {
        const known = ERROR_TYPES[params.error_type];
        if (!known) throw ApiError.notFound();
        return { type: params.error_type, ...known };
      },
      { nickname: "getErrorDescription" },
    );
}
