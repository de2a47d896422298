import { asc, eq } from "drizzle-orm";
import { all, changes, type Runner, type Tables } from "../dialect/program";

export type MessageMediaType = "text/plain" | "text/markdown";
export type MessageSeverity = "info" | "warning" | "error";

export interface GlobalMessage {
  uuid: string;
  content: string;
  mediaType: MessageMediaType;
  severity: MessageSeverity;
}

const columns = ({ globalMessages: m }: Tables) => ({ uuid: m.uuid, content: m.content, mediaType: m.mediaType, severity: m.severity });

/** Global messages: the banners superusers post for every user (Quay's Messages). */
export class GlobalMessageStore {
  constructor(private readonly q: Runner) {}

  /** Every message, oldest first. */
  list(): Promise<GlobalMessage[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(db.select(columns(t)).from(t.globalMessages).orderBy(asc(t.globalMessages.id)));
    });
  }

  create(m: Omit<GlobalMessage, "uuid">): Promise<GlobalMessage> {
    return this.q.run(function* ({ db, t }) {
      const [created] = yield* all(db.insert(t.globalMessages).values({ ...m, uuid: crypto.randomUUID() }).returning(columns(t)));
      return created!;
    });
  }

  /** Deletes the message; false when no message has this uuid. */
  delete(uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      return (yield* changes(db.delete(t.globalMessages).where(eq(t.globalMessages.uuid, uuid)))) > 0;
    });
  }
}
