import { and, asc, eq } from "drizzle-orm";
import { constantTimeEqual, randomAlnum, ROBOT_TOKEN_ALPHABET } from "../../secrets";
import { all, one, type Runner, type Tables } from "../dialect/program";

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

const columns = ({ oauthApplications: a }: Tables) => ({
  id: a.id,
  namespaceId: a.namespaceId,
  clientId: a.clientId,
  clientSecret: a.clientSecret,
  name: a.name,
  description: a.description,
  applicationUri: a.applicationUri,
  redirectUri: a.redirectUri,
  avatarEmail: a.avatarEmail,
  createdMs: a.createdMs,
});

/** Only the fields given; undefined ones stay as they are. */
function fieldsToSet(fields: Partial<OAuthApplicationFields>) {
  const out: Partial<OAuthApplicationFields> = {};
  for (const key of ["name", "description", "applicationUri", "redirectUri", "avatarEmail"] as const) {
    if (fields[key] !== undefined) (out as Record<string, unknown>)[key] = fields[key];
  }
  return out;
}

/** Mutations name the namespace too, so a route for one org can never touch another's app. */
function owned({ oauthApplications: a }: Tables, namespaceId: number, clientId: string) {
  return and(eq(a.namespaceId, namespaceId), eq(a.clientId, clientId));
}

export class OAuthApplicationStore {
  constructor(private readonly q: Runner) {}

  async create(input: { namespaceId: number } & OAuthApplicationFields): Promise<OAuthApplicationRow> {
    return this.q.run(function* ({ db, t }) {
      const [row] = yield* all(
        db
          .insert(t.oauthApplications)
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
          .returning(columns(t)),
      );
      return row!;
    });
  }

  byClientId(clientId: string): Promise<OAuthApplicationRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.oauthApplications).where(eq(t.oauthApplications.clientId, clientId)));
    });
  }

  byId(id: number): Promise<OAuthApplicationRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.oauthApplications).where(eq(t.oauthApplications.id, id)));
    });
  }

  /** The namespace's applications, oldest first. */
  listFor(namespaceId: number): Promise<OAuthApplicationRow[]> {
    return this.q.run(function* ({ db, t }) {
      const a = t.oauthApplications;
      return yield* all(db.select(columns(t)).from(a).where(eq(a.namespaceId, namespaceId)).orderBy(asc(a.id)));
    });
  }

  /** Mutations name the namespace too, so a route for one org can never touch another's app. */
  async update(namespaceId: number, clientId: string, fields: Partial<OAuthApplicationFields>): Promise<OAuthApplicationRow | undefined> {
    const set = fieldsToSet(fields);
    if (Object.keys(set).length === 0) {
      const row = await this.byClientId(clientId);
      return row?.namespaceId === namespaceId ? row : undefined;
    }
    return this.q.run(function* ({ db, t }) {
      const [row] = yield* all(db.update(t.oauthApplications).set(set).where(owned(t, namespaceId, clientId)).returning(columns(t)));
      return row;
    });
  }

  /** Deletes the application and, by cascade, every token issued through it. */
  delete(namespaceId: number, clientId: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const gone = yield* all(db.delete(t.oauthApplications).where(owned(t, namespaceId, clientId)).returning({ id: t.oauthApplications.id }));
      return gone.length > 0;
    });
  }

  /** A new client secret; the old one stops working. Tokens already issued stay valid, as in Quay. */
  resetSecret(namespaceId: number, clientId: string): Promise<OAuthApplicationRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      const [row] = yield* all(
        db
          .update(t.oauthApplications)
          .set({ clientSecret: randomAlnum(CLIENT_SECRET_LENGTH, ROBOT_TOKEN_ALPHABET) })
          .where(owned(t, namespaceId, clientId))
          .returning(columns(t)),
      );
      return row;
    });
  }

  /** The application when `clientSecret` is its secret (for the token endpoint's client check). */
  async verifySecret(clientId: string, clientSecret: string): Promise<OAuthApplicationRow | undefined> {
    const row = await this.byClientId(clientId);
    // Compare against something even for an unknown client, so timing does not tell them apart.
    const ok = constantTimeEqual(row?.clientSecret ?? "", clientSecret);
    return row && ok ? row : undefined;
  }
}
