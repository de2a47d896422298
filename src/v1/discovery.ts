// GET /api/v1/discovery: Quay's Swagger 2.0 description of API v1, generated from the route
// table. Every route's macros (nickname, guards, fresh login, internal) wrote its `detail`; this
// file only turns the table into Swagger, so the document cannot drift from what is served.
import type { V1App } from "./app";
import { externalBase } from "../auth/externalUrl";
import type { V1Context } from "./context";
import { queryFlag } from "./query";

export interface RouteEntry {
  method: string;
  path: string;
  hooks?: { detail?: Record<string, unknown> };
}

/** Scope names and descriptions, as Quay offers them to OAuth applications. */
export const OAUTH_SCOPES: Record<string, string> = {
  "repo:read": "View all visible repositories",
  "repo:write": "Read/Write to any accessible repositories",
  "repo:admin": "Administer Repositories",
  "repo:create": "Create Repositories",
  "user:read": "Read User Information",
  "user:admin": "Administer User",
  "org:admin": "Administer Organization",
  "super:user": "Super User Access",
};

const API_ERROR = {
  type: "object",
  required: ["status", "type", "title"],
  properties: {
    status: { type: "integer", description: "Status code of the response." },
    type: { type: "string", description: "Reference to the type of the error." },
    detail: { type: "string", description: "Details about the specific instance of the error." },
    title: { type: "string", description: "Unique error code to identify the type of error." },
    error_message: { type: "string", description: "Deprecated; alias for detail" },
    error_type: { type: "string", description: "Deprecated; alias for detail" },
  },
};

const errorResponse = (description: string) => ({ description, schema: { $ref: "#/definitions/ApiError" } });

/** Whether a route belongs in the document: API v1 resources, not the OPTIONS catch-all. */
export function isDocumentedRoute(r: RouteEntry): boolean {
  return r.path.startsWith("/api/v1/") && r.method !== "OPTIONS" && !r.path.includes("*");
}

export function swaggerDocument(routes: RouteEntry[], opts: { host: string; scheme: string; internal: boolean }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const r of routes) {
    if (!isDocumentedRoute(r)) continue;
    const detail = r.hooks?.detail ?? {};
    if (detail["x-internal"] === true && !opts.internal) continue;
    const path = r.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    const tag = r.path.split("/")[3]!;
    tags.add(tag);
    const params = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      type: "string",
      ...(m[1] === "repository" ? { description: "The full path of the repository. e.g. namespace/name" } : {}),
    }));
    const { operationId, ...rest } = detail;
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      operationId,
      tags: [tag],
      parameters: params,
      responses: {
        "200": { description: "Successful invocation" },
        "400": errorResponse("Bad Request"),
        "401": errorResponse("Session required"),
        "403": errorResponse("Unauthorized access"),
        "404": errorResponse("Not found"),
      },
      "x-internal": detail["x-internal"] === true,
      "x-requires-fresh-login": detail["x-requires-fresh-login"] === true,
      ...rest,
    };
  }
  return {
    swagger: "2.0",
    host: opts.host,
    basePath: "/",
    schemes: [opts.scheme],
    info: {
      title: "Berth",
      version: "v1",
      description: "Berth's Quay-compatible API v1. Generated from the route table.",
    },
    securityDefinitions: {
      oauth2_implicit: {
        type: "oauth2",
        flow: "implicit",
        authorizationUrl: `${opts.scheme}://${opts.host}/oauth/authorize`,
        scopes: OAUTH_SCOPES,
      },
    },
    paths,
    definitions: { ApiError: API_ERROR },
    tags: [...tags].sort().map((name) => ({ name })),
  };
}

/** The discovery route, reading the finished route table of the API it belongs to. */
export function discoveryRoutes(api: V1App, ctx: V1Context, routeTable: () => RouteEntry[]) {
  return api.get(
    "/api/v1/discovery",
    ({ request, query }) => {
      const { host, scheme } = externalBase(ctx.config, request);
      return swaggerDocument(routeTable(), { host, scheme, internal: queryFlag(query, "internal") });
    },
    { nickname: "discovery" },
  );
}
