import type { V1App } from "./app";
import { ApiError, ERROR_TYPES, type ErrorType } from "./errors";

// Quay's cross-cutting API rules that are not a resource: OPTIONS, the browser XHR check (a step
// of every request, src/v1/app.ts) and the error-type descriptions that error bodies link to (src/v1/errors.ts).

const BROWSER = /\b(Chrome|Chromium|Firefox|Safari|Opera|OPR|Edg|MSIE|Trident)\//;

/** BROWSER_API_CALLS_XHR_ONLY: browsers must say they are scripts on GETs (CSRF by <img>). */
export function requireXhrFromBrowsers(request: Request): void {
  if (request.method !== "GET" || !request.url.includes("/api/v1/")) return;
  if (!BROWSER.test(request.headers.get("user-agent") ?? "")) return;
  if (request.headers.get("x-requested-with") === "XMLHttpRequest") return;
  throw new ApiError("BrowserNeedsXhr");
}

export function conventionRoutes(api: V1App) {
  return api
    .options("/api/v1/*", () => new Response("null", { status: 200, headers: { "Content-Type": "application/json" } }))
    .get(
      "/api/v1/error/:error_type",
      ({ params }) => {
        const type = params.error_type;
        if (!Object.hasOwn(ERROR_TYPES, type)) throw ApiError.notFound();
        return { type, title: type, description: ERROR_TYPES[type as ErrorType] };
      },
      { nickname: "getErrorDescription" },
    );
}
