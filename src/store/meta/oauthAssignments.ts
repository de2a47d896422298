import { and, asc, eq } from "drizzle-orm";
import type { MetaDb } from "../db";
import { oauthTokenAssignments } from "../schema";

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

const columns = {
  id: oauthTokenAssignments.id,
  uuid: oauthTokenAssignments.uuid,
  applicationId: oauthTokenAssignments.applicationId,
  assignedUserId: oauthTokenAssignments.assignedUserId,
  assignerUserId: oauthTokenAssignments.assignerUserId,
  redirectUri: oauthTokenAssignments.redirectUri,
  scope: oauthTokenAssignments.scope,
  responseType: oauthTokenAssignments.responseType,
  createdMs: oauthTokenAssignments.createdMs,
};

/** Pending requests that a user authorize an application, made by an admin of its organization. */
export class OAuthAssignmentStore {
  constructor(private readonly db: MetaDb) {}

  async create(input: Omit<OAuthAssignmentRow, "id" | "uuid" | "createdMs">): Promise<OAuthAssignmentRow> {
    return this.db
      .insert(oauthTokenAssignments)
      .values({ ...input, uuid: crypto.randomUUID() })
      .returning(columns)
      .get();
  }

  async listFor(userId: number): Promise<OAuthAssignmentRow[]> {
    return this.db.select(columns).from(oauthTokenAssignments).where(eq(oauthTokenAssignments.assignedUserId, userId)).orderBy(asc(oauthTokenAssignments.id)).all();
  }

  async get(userId: number, uuid: string): Promise<OAuthAssignmentRow | undefined> {
    return this.db
      .select(columns)
      .from(oauthTokenAssignments)
      .where(and(eq(oauthTokenAssignments.assignedUserId, userId), eq(oauthTokenAssignments.uuid, uuid)))
      .get();
  }

  /** Only the assigned user's own assignment; false when there is none. */
  async delete(userId: number, uuid: string): Promise<boolean> {
    return (
      this.db
        .delete(oauthTokenAssignments)
        .where(and(eq(oauthTokenAssignments.assignedUserId, userId), eq(oauthTokenAssignments.uuid, uuid)))
        .returning({ id: oauthTokenAssignments.id })
        .all().length > 0
    );
  }
}
