import { and, asc, eq } from "drizzle-orm";
import { constantTimeEqual, randomAlnum, ROBOT_TOKEN_ALPHABET } from "../../secrets";
import type { MetaDb } from "../db";
import { oauthApplications } from "../schema";

// OAuth applications of an organization (Quay's /organization/<org>/applications). Client ids
// and secrets have Quay's shape: 20 and 40 characters of A-Z0-9. The secret is kept as is,
// because Quay shows it again to org admins; checks compare it in constant time.

const CLIENT_ID_LENGTH = 20;
const CLIENT_SECRET_LENGTH = 40;

export interface OAuthApplicationRow {
  id: number;
  namespaceId: number;
  clientId: string;
  clientSecret: string;
  name: string;
  description: string;
  applicationUri: string;
  redirectUri: string;
  avatarEmail: string | null;
  createdMs: number;
}

export interface OAuthApplicationFields {
  name: string;
  description?: string;
  applicationUri?: string;
  redirectUri?: string;
  avatarEmail?: string | null;
}

const columns = {
  id: oauthApplications.id,
  namespaceId: oauthApplications.namespaceId,
  clientId: oauthApplications.clientId,
  clientSecret: oauthApplications.clientSecret,
  name: oauthApplications.name,
  description: oauthApplications.description,
  applicationUri: oauthApplications.applicationUri,
  redirectUri: oauthApplications.redirectUri,
  avatarEmail: oauthApplications.avatarEmail,
  createdMs: oauthApplications.createdMs,
};

/** Only the fields given; undefined ones stay as they are. */
function changes(fields: Partial<OAuthApplicationFields>) {
  const out: Partial<OAuthApplicationFields> = {};
  for (const key of ["name", "description", "applicationUri", "redirectUri", "avatarEmail"] as const) {
    if (fields[key] !== undefined) (out as Record<string, unknown>)[key] = fields[key];
  }
  return out;
}

export class OAuthApplicationStore {
  constructor(private readonly db: MetaDb) {}

  async create(input: { namespaceId: number } & OAuthApplicationFields): Promise<OAuthApplicationRow> {
    return this.db
      .insert(oauthApplications)
      .values({
        namespaceId: input.namespaceId,
        clientId: randomAlnum(CLIENT_ID_LENGTH, ROBOT_TOKEN_ALPHABET),
        clientSecret: randomAlnum(CLIENT_SECRET_LENGTH, ROBOT_TOKEN_ALPHABET),
        name: input.name,
        description: input.description ?? "",
        applicationUri: input.applicationUri ?? "",
        redirectUri: input.redirectUri ?? "",
        avatarEmail: input.avatarEmail ?? null,
      })
      .returning(columns)
      .get();
  }

  async byClientId(clientId: string): Promise<OAuthApplicationRow | undefined> {
    return this.db.select(columns).from(oauthApplications).where(eq(oauthApplications.clientId, clientId)).get();
  }

  async byId(id: number): Promise<OAuthApplicationRow | undefined> {
    return this.db.select(columns).from(oauthApplications).where(eq(oauthApplications.id, id)).get();
  }

  /** The namespace's applications, oldest first. */
  async listFor(namespaceId: number): Promise<OAuthApplicationRow[]> {
    return this.db
      .select(columns)
      .from(oauthApplications)
      .where(eq(oauthApplications.namespaceId, namespaceId))
      .orderBy(asc(oauthApplications.id))
      .all();
  }

  /** Mutations name the namespace too, so a route for one org can never touch another's app. */
  async update(namespaceId: number, clientId: string, fields: Partial<OAuthApplicationFields>): Promise<OAuthApplicationRow | undefined> {
    const set = changes(fields);
    if (Object.keys(set).length === 0) {
      const row = await this.byClientId(clientId);
      return row?.namespaceId === namespaceId ? row : undefined;
    }
    return this.db.update(oauthApplications).set(set).where(this.owned(namespaceId, clientId)).returning(columns).get();
  }

  /** Deletes the application and, by cascade, every token issued through it. */
  async delete(namespaceId: number, clientId: string): Promise<boolean> {
    return this.db.delete(oauthApplications).where(this.owned(namespaceId, clientId)).returning({ id: oauthApplications.id }).all().length > 0;
  }

  /** A new client secret; the old one stops working. Tokens already issued stay valid, as in Quay. */
  async resetSecret(namespaceId: number, clientId: string): Promise<OAuthApplicationRow | undefined> {
    return this.db
      .update(oauthApplications)
      .set({ clientSecret: randomAlnum(CLIENT_SECRET_LENGTH, ROBOT_TOKEN_ALPHABET) })
      .where(this.owned(namespaceId, clientId))
      .returning(columns)
      .get();
  }

  /** The application when `clientSecret` is its secret (for the token endpoint's client check). */
  async verifySecret(clientId: string, clientSecret: string): Promise<OAuthApplicationRow | undefined> {
    const row = await this.byClientId(clientId);
    // Compare against something even for an unknown client, so timing does not tell them apart.
    const ok = constantTimeEqual(row?.clientSecret ?? "", clientSecret);
    return row && ok ? row : undefined;
  }

  private owned(namespaceId: number, clientId: string) {
    return and(eq(oauthApplications.namespaceId, namespaceId), eq(oauthApplications.clientId, clientId));
  }
}
