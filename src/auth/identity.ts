import type { OAuthScope } from "./oauthScopeNames";
import type { RobotRow } from "../store/meta/robots";
import type { UserRow } from "../store/meta/users";

/** Who is calling, as the auth layer established it. */
export type Identity =
  | { kind: "anonymous" }
  | {
      kind: "user";
      user: UserRow;
      via: "password" | "appToken" | "oauth";
      appTokenUuid?: string;
      /** Set when an OAuth token logged in at /v2/auth ($oauthtoken): its scopes cap the standing. */
      oauthScopes?: readonly OAuthScope[];
      oauthTokenUuid?: string;
    }
  | { kind: "robot"; robot: RobotRow };

export const ANONYMOUS: Identity = { kind: "anonymous" };

/** The JWT `sub` and the name permission checks use. */
export function identityName(identity: Identity): string {
  if (identity.kind === "user") return identity.user.username;
  if (identity.kind === "robot") return identity.robot.fullName;
  return "(anonymous)";
}

/** The JWT `context` claim, shaped as Quay's (reference 4.3). */
export function identityContext(identity: Identity): Record<string, unknown> {
  const apostille = { "com.apostille.root": "$disabled" };
  switch (identity.kind) {
    case "anonymous":
      return apostille;
    case "robot":
      return { version: 2, entity_kind: "robot", entity_reference: identity.robot.fullName, kind: "user", user: identity.robot.fullName, ...apostille };
    case "user":
      if (identity.via === "appToken")
        return { version: 2, entity_kind: "appspecifictoken", entity_reference: identity.appTokenUuid, kind: "user", user: identity.user.username, ...apostille };
      if (identity.oauthTokenUuid !== undefined)
        return { version: 2, entity_kind: "oauthtoken", entity_reference: identity.oauthTokenUuid, kind: "user", user: identity.user.username, ...apostille };
      return { version: 2, entity_kind: "user", entity_reference: identity.user.uuid, kind: "user", user: identity.user.username, ...apostille };
  }
}

/** Who a verified registry token speaks for, read back from its `sub` and `context` claims. */
export type TokenSubject =
  | { kind: "user"; name: string; appTokenUuid?: string; oauthTokenUuid?: string; viaOAuth?: boolean }
  | { kind: "robot"; name: string };

/** The inverse of identityContext; undefined for anonymous tokens (they name no entity). */
export function tokenSubject(sub: string, context: Record<string, unknown>): TokenSubject | undefined {
  switch (context.entity_kind) {
    case "user":
      return { kind: "user", name: sub };
    case "appspecifictoken":
      return typeof context.entity_reference === "string"
        ? { kind: "user", name: sub, appTokenUuid: context.entity_reference }
        : { kind: "user", name: sub };
    case "oauthtoken":
      return typeof context.entity_reference === "string"
        ? { kind: "user", name: sub, oauthTokenUuid: context.entity_reference }
        : { kind: "user", name: sub };
    case "robot":
      return { kind: "robot", name: sub };
    default:
      return undefined;
  }
}

/** The account row behind an identity, as grants and team memberships name it (none for anonymous). */
export function accountOf(identity: Identity): { userId: number } | { robotId: number } | undefined {
  if (identity.kind === "user") return { userId: identity.user.id };
  if (identity.kind === "robot") return { robotId: identity.robot.id };
  return undefined;
}

/** The account an identity names, as a token's subject would (events and the audit log carry it). */
export function subjectOf(identity: Identity): TokenSubject | undefined {
  if (identity.kind === "robot") return { kind: "robot", name: identity.robot.fullName };
  if (identity.kind === "anonymous") return undefined;
  const subject: TokenSubject = { kind: "user", name: identity.user.username };
  if (identity.appTokenUuid !== undefined) subject.appTokenUuid = identity.appTokenUuid;
  if (identity.oauthTokenUuid !== undefined) subject.oauthTokenUuid = identity.oauthTokenUuid;
  if (identity.via === "oauth") subject.viaOAuth = true;
  return subject;
}
