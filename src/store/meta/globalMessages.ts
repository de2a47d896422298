import { asc, eq } from "drizzle-orm";
import type { MetaDb } from "../db";
import { globalMessages } from "../schema";

export type MessageMediaType = "text/plain" | "text/markdown";
export type MessageSeverity = "info" | "warning" | "error";

export interface GlobalMessage {
  uuid: string;
  content: string;
  mediaType: MessageMediaType;
  severity: MessageSeverity;
}

const columns = {
  uuid: globalMessages.uuid,
  content: globalMessages.content,
  mediaType: globalMessages.mediaType,
  severity: globalMessages.severity,
};

/** Global messages: the banners superusers post for every user (Quay's Messages). */
export class GlobalMessageStore {
  constructor(private readonly db: MetaDb) {}

  /** Every message, oldest first. */
  async list(): Promise<GlobalMessage[]> {
    return this.db.select(columns).from(globalMessages).orderBy(asc(globalMessages.id)).all();
  }

  async create(m: Omit<GlobalMessage, "uuid">): Promise<GlobalMessage> {
    return this.db.insert(globalMessages).values({ ...m, uuid: crypto.randomUUID() }).returning(columns).get();
  }

  /** Deletes the message; false when no message has this uuid. */
  async delete(uuid: string): Promise<boolean> {
    return this.db.delete(globalMessages).where(eq(globalMessages.uuid, uuid)).returning({ id: globalMessages.id }).all().length > 0;
  }
}
