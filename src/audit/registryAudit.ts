// push_repo / pull_repo entries for every manifest PUT and GET on /v2, shaped as Quay's
// track_and_log writes them: metadata `repo` (the name within the namespace), `namespace`,
// `user-agent`, `tag` or `manifest_digest`, `mediaType`, and the caller's public identity
// (`username`; robots add `is_robot: true`; app-specific tokens add `app_specific_token` and
// `app_specific_token_title`). Anonymous callers have no performer and no identity keys.
//
// This runs inside every pull, so everything per request is a map lookup: the caller comes from
// the already-verified token (AccessPolicy.verifiedSubject), its account and a repository's
// namespace are resolved once and remembered, and the write itself is queued (AuditLogStore).
import { clientAddress } from "../auth/clientAddress";
import type { TokenSubject } from "../auth/identity";
import type { ManifestEvent, RegistryEvents } from "../events/registryEvents";
import type { AccessPolicy } from "../perm/access";
import type { Stores } from "../store";
import type { AuditPerformer, AuditRecord } from "../store/meta/auditLog";
import type { LogKind } from "./logKinds";

export interface RegistryAuditDeps {
  events: RegistryEvents;
  access: AccessPolicy;
  stores: Pick<Stores, "auditLog" | "orgs" | "users" | "robots" | "appTokens">;
}

/** A caller as the log shows it: the performer row and the identity keys of the metadata. */
interface Caller {
  performer?: AuditPerformer;
  metadata: Record<string, unknown>;
}

const MAX_REMEMBERED = 10_000;

/** Subscribes the audit log to the registry's manifest events. */
export function auditRegistryEvents(deps: RegistryAuditDeps): void {
  const { stores, access } = deps;
  // Keyed by the verified subject object, which lives as long as its token's cached claims.
  const callers = new WeakMap<TokenSubject, Caller>();
  // A number per remembered caller, for the pull coalescing key.
  const callerIds = new WeakMap<Caller, number>();
  let lastCallerId = 0;
  // A repository never changes namespace (ids are not reused), so its namespace is looked up once.
  const namespaces = new Map<number, { id: number; name: string } | null>();

  function callerOf(request: Request): Caller | undefined {
    const subject = access.verifiedSubject(request);
    if (!subject) return undefined;
    let caller = callers.get(subject);
    if (!caller) {
      caller = resolve(subject);
      callers.set(subject, caller);
      callerIds.set(caller, ++lastCallerId);
    }
    return caller;
  }

  function resolve(subject: TokenSubject): Caller {
    if (subject.kind === "robot") {
      const robot = stores.robots.byName(subject.name);
      return {
        performer: robot ? { kind: "robot", id: robot.id, name: robot.fullName } : undefined,
        metadata: { username: subject.name, is_robot: true },
      };
    }
    const user = stores.users.byName(subject.name);
    const performer: AuditPerformer | undefined = user ? { kind: "user", id: user.id, name: user.username } : undefined;
    if (subject.appTokenUuid === undefined) return { performer, metadata: { username: subject.name } };
    const token = stores.appTokens.byUuid(subject.appTokenUuid);
    return {
      performer,
      metadata: {
        app_specific_token: subject.appTokenUuid,
        ...(token ? { app_specific_token_title: token.title } : {}),
        username: subject.name,
      },
    };
  }

  function namespaceOf(repoId: number, nsName: string): { id: number; name: string } | undefined {
    let ns = namespaces.get(repoId);
    if (ns === undefined) {
      const row = stores.orgs.namespace(nsName);
      ns = row ? { id: row.id, name: nsName } : null;
      if (namespaces.size >= MAX_REMEMBERED) namespaces.clear();
      namespaces.set(repoId, ns);
    }
    return ns ?? undefined;
  }

  function build(kind: LogKind, event: ManifestEvent, caller: Caller | undefined, ip: string): AuditRecord {
    const { request } = event;
    const slash = event.repo.indexOf("/");
    const nsName = event.repo.slice(0, slash);
    // Built by assignment, not spreads: this runs for every push and every new pull.
    const metadata: Record<string, unknown> = {
      repo: event.repo.slice(slash + 1),
      namespace: nsName,
      "user-agent": request.headers.get("user-agent") ?? "",
    };
    if (event.tag !== undefined) metadata.tag = event.tag;
    else metadata.manifest_digest = event.digest;
    metadata.mediaType = event.mediaType;
    if (caller) for (const key in caller.metadata) metadata[key] = caller.metadata[key];
    return {
      kind,
      namespace: namespaceOf(event.repoId, nsName),
      repositoryId: event.repoId,
      performer: caller?.performer,
      ip: ip === "unknown" ? undefined : ip,
      metadata,
    };
  }

  deps.events.onManifestPushed((event) => {
    const caller = callerOf(event.request);
    stores.auditLog.record(build("push_repo", event, caller, clientAddress(event.request)));
  });
  // Identical pulls in one batch window become one entry with a count: the key holds everything
  // the record is made of (the caller by its remembered object's id), so equal keys mean equal records.
  deps.events.onManifestPulled((event) => {
    const caller = callerOf(event.request);
    const ip = clientAddress(event.request);
    const key = `${event.repoId}\n${event.tag ?? ""}\n${event.digest}\n${event.mediaType}\n${ip}\n${caller ? callerIds.get(caller) : 0}\n${event.request.headers.get("user-agent") ?? ""}`;
    stores.auditLog.recordCoalescing({ key, build: () => build("pull_repo", event, caller, ip) });
  });
}
