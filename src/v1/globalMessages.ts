// Global messages (Quay's endpoints/api/globalmessages.py): banners every page of Quay's web
// client reads, which superusers post and delete. Anyone may read them, signed in or not.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { GlobalMessage } from "../store/meta/globalMessages";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { SUPERUSER_WRITE } from "./superuser";

/** A banner, not a document: long enough for any notice, short enough to keep every page light. */
const MAX_CONTENT_CHARS = 10_000;

const CreateMessage = Type.Object({
  message: Type.Object({
    content: Type.String({ minLength: 1, maxLength: MAX_CONTENT_CHARS }),
    media_type: Type.Union([Type.Literal("text/plain"), Type.Literal("text/markdown")]),
    severity: Type.Union([Type.Literal("info"), Type.Literal("warning"), Type.Literal("error")]),
  }),
});

const messageView = (m: GlobalMessage) => ({ uuid: m.uuid, content: m.content, severity: m.severity, media_type: m.mediaType });

export function globalMessageRoutes(api: V1App, ctx: V1Context) {
  return (
    api
      .get("/api/v1/messages", async () => ({ messages: (await ctx.stores.messages.list()).map(messageView) }), { nickname: "getGlobalMessages" })
      // Quay's messages write no audit entry: there is no log kind for them.
      .post(
        "/api/v1/messages",
        async ({ body }) => {
          const { message } = parseBody(CreateMessage, body);
          await ctx.stores.messages.create({ content: message.content, mediaType: message.media_type, severity: message.severity });
          return new Response(null, { status: 201 });
        },
        { nickname: "createGlobalMessage", ...SUPERUSER_WRITE },
      )
      // As Quay: deleting a message that is not there is not an error.
      .delete(
        "/api/v1/message/:uuid",
        async ({ params }) => {
          await ctx.stores.messages.delete(params.uuid);
          return new Response(null, { status: 204 });
        },
        { nickname: "deleteGlobalMessage", ...SUPERUSER_WRITE },
      )
  );
}
