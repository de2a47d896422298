import { and, asc, eq } from "drizzle-orm";
import { all, one, type Runner, type Tables } from "../dialect/program";

export interface OAuthAssignmentRow {
  id: number;
  uuid: string;
  applicationId: number;
  assignedUserId: number;
  assignerUserId: number | null;
  redirectUri: string;
  scope: string;
  responseType: string;
  createdMs: number;
}

const columns = ({ oauthTokenAssignments: a }: Tables) => ({
  id: a.id,
  uuid: a.uuid,
  applicationId: a.applicationId,
  assignedUserId: a.assignedUserId,
  assignerUserId: a.assignerUserId,
  redirectUri: a.redirectUri,
  scope: a.scope,
  responseType: a.responseType,
  createdMs: a.createdMs,
});

/** The user's own assignment: a uuid of another user's is not found. */
function usersOwn({ oauthTokenAssignments: a }: Tables, userId: number, uuid: string) {
  return and(eq(a.assignedUserId, userId), eq(a.uuid, uuid));
}

/** Pending requests that a user authorize an application, made by an admin of its organization. */
export class OAuthAssignmentStore {
  constructor(private readonly q: Runner) {}

  create(input: Omit<OAuthAssignmentRow, "id" | "uuid" | "createdMs">): Promise<OAuthAssignmentRow> {
    return this.q.run(function* ({ db, t }) {
      const [row] = yield* all(db.insert(t.oauthTokenAssignments).values({ ...input, uuid: crypto.randomUUID() }).returning(columns(t)));
      return row!;
    });
  }

  /** The user's assignments, oldest first. */
  listFor(userId: number): Promise<OAuthAssignmentRow[]> {
    return this.q.run(function* ({ db, t }) {
      const a = t.oauthTokenAssignments;
      return yield* all(db.select(columns(t)).from(a).where(eq(a.assignedUserId, userId)).orderBy(asc(a.id)));
    });
  }

  get(userId: number, uuid: string): Promise<OAuthAssignmentRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.oauthTokenAssignments).where(usersOwn(t, userId, uuid)));
    });
  }

  /** Only the assigned user's own assignment; false when there is none. */
  delete(userId: number, uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const gone = yield* all(db.delete(t.oauthTokenAssignments).where(usersOwn(t, userId, uuid)).returning({ id: t.oauthTokenAssignments.id }));
      return gone.length > 0;
    });
  }
}
