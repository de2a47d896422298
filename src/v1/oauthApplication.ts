// OAuth applications of an organization (Quay's /organization/<org>/applications): what scripts
// and tools register to obtain API v1 bearer tokens through /oauth/authorizeapp.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { OAuthApplicationRow } from "../store/meta/oauth";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";

const Uri = Type.String({ maxLength: 1024 });
const CreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  redirect_uri: Type.Optional(Uri),
  application_uri: Type.Optional(Uri),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  avatar_email: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
});
// Quay requires the three fields on update.
const UpdateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  redirect_uri: Uri,
  application_uri: Uri,
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  avatar_email: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
});

/** Quay's app_view. The secret is shown to org admins, who alone reach these routes. */
export function applicationView(app: OAuthApplicationRow) {
  return {
    name: app.name,
    description: app.description,
    application_uri: app.applicationUri,
    client_id: app.clientId,
    client_secret: app.clientSecret,
    redirect_uri: app.redirectUri,
    avatar_email: app.avatarEmail,
  };
}

function checkUris(b: { redirect_uri?: string; application_uri?: string }): void {
  for (const field of ["redirect_uri", "application_uri"] as const) {
    const value = b[field];
    if (value && !/^https?:\/\/[^\s]+$/.test(value)) throw ApiError.invalidRequest(`${field}: must be an http(s) URL`, { field });
  }
}

/** The keys Quay adds to an application's entries (create and update also carry the request's fields). */
const appLogKeys = (app: OAuthApplicationRow) => ({ application_name: app.name, client_id: app.clientId });

export function oauthApplicationRoutes(api: V1App, ctx: V1Context) {
  const apps = ctx.stores.oauth.applications;
  const find = async (namespaceId: number, clientId: string) => {
    const app = await apps.byClientId(clientId);
    if (!app || app.namespaceId !== namespaceId) throw ApiError.notFound();
    return app;
  };
  const admin = { requireOrgAdmin: true } as const;
  const base = "/api/v1/organization/:orgname/applications";
  return api
    .get(base, async ({ org }) => ({ applications: (await apps.listFor(org.ns.id)).map(applicationView) }), {
      nickname: "getOrganizationApplications",
      ...admin,
    })
    .post(
      base,
      async ({ org, body, audit }) => {
        const b = parseBody(CreateBody, body);
        checkUris(b);
        const app = await apps.create({
          namespaceId: org.ns.id,
          name: b.name,
          description: b.description,
          applicationUri: b.application_uri,
          redirectUri: b.redirect_uri,
          avatarEmail: b.avatar_email ?? null,
        });
        audit("create_application", { namespace: org.ns.name }, { ...b, ...appLogKeys(app) });
        return applicationView(app);
      },
      { nickname: "createOrganizationApplication", ...admin, audit: "create_application" },
    )
    .get(`${base}/:client_id`, async ({ org, params }) => applicationView(await find(org.ns.id, params.client_id)), {
      nickname: "getOrganizationApplication",
      ...admin,
    })
    .put(
      `${base}/:client_id`,
      async ({ org, params, body, audit }) => {
        await find(org.ns.id, params.client_id);
        const b = parseBody(UpdateBody, body);
        checkUris(b);
        const app = await apps.update(org.ns.id, params.client_id, {
          name: b.name,
          redirectUri: b.redirect_uri,
          applicationUri: b.application_uri,
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.avatar_email !== undefined ? { avatarEmail: b.avatar_email } : {}),
        });
        audit("update_application", { namespace: org.ns.name }, { ...b, ...appLogKeys(app!) });
        return applicationView(app!);
      },
      { nickname: "updateOrganizationApplication", ...admin, audit: "update_application" },
    )
    .delete(
      `${base}/:client_id`,
      async ({ org, params, audit }) => {
        // Read first: the entry names the application, which goes with the row.
        const app = await find(org.ns.id, params.client_id);
        // Its tokens go with it: scripts holding them are refused from now on.
        if (!await apps.delete(org.ns.id, params.client_id)) throw ApiError.notFound();
        audit("delete_application", { namespace: org.ns.name }, appLogKeys(app));
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteOrganizationApplication", ...admin, audit: "delete_application" },
    )
    .post(
      `${base}/:client_id/resetclientsecret`,
      async ({ org, params, audit }) => {
        await find(org.ns.id, params.client_id);
        const app = (await apps.resetSecret(org.ns.id, params.client_id))!;
        audit("reset_application_client_secret", { namespace: org.ns.name }, appLogKeys(app));
        return applicationView(app);
      },
      { nickname: "resetOrganizationApplicationClientSecret", ...admin, audit: "reset_application_client_secret" },
    );
}
