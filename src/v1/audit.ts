// Audit entries for API v1 writes (Quay's log_action). A route declares the kinds it writes with
// the `audit` macro (they appear in discovery as `x-log-kinds`, and a test checks every write
// route declares some); the macro hands the handler `audit(kind, target, metadata)`, bound to the
// request's caller and address.
import { clientAddress } from "../auth/clientAddress";
import type { LogKind } from "../audit/logKinds";
import type { AuditPerformer } from "../store/meta/auditLog";
import type { Caller } from "./caller";
import type { V1Context } from "./context";

export interface AuditTarget {
  /** The namespace the entry belongs to (a user's or an organization's). */
  namespace?: string;
  /** The repository (ns/name); its namespace is taken from the name. */
  repo?: { id?: number; name: string };
}

export type AuditFn = (kind: LogKind, target: AuditTarget, metadata?: Record<string, unknown>) => void;

function performerOf(caller: Caller): AuditPerformer | undefined {
  const id = caller.identity;
  if (id.kind === "user") return { kind: "user", id: id.user.id, name: id.user.username };
  if (id.kind === "robot") return { kind: "robot", id: id.robot.id, name: id.robot.fullName };
  return undefined;
}

/** The performer's identity keys, as Quay's metadata carries them. */
function callerMetadata(caller: Caller): Record<string, unknown> {
  const id = caller.identity;
  if (id.kind === "user") return caller.via === "oauth" ? { username: id.user.username, oauth_token: true } : { username: id.user.username };
  if (id.kind === "robot") return { username: id.robot.fullName, is_robot: true };
  return {};
}

/** Each request's entries whose lookups are under way (the audit macro answers once they are done). */
const recordingsOf = new WeakMap<Request, Promise<unknown>[]>();

/**
 * Until the request's entries are queued. The answer waits for it: on PostgreSQL the lookups are
 * queries, and the client's next request (deleting the organization it just made) could
 * otherwise change what they read, leaving the entry without its namespace.
 */
export async function auditRecorded(request: Request): Promise<void> {
  const pending = recordingsOf.get(request);
  if (pending) await Promise.allSettled(pending);
}

export function auditFor(ctx: V1Context, caller: Caller, request: Request, declared: readonly LogKind[]): AuditFn {
  return (kind, target, metadata = {}) => {
    if (!declared.includes(kind)) ctx.log.error(`audit kind ${kind} not declared by ${request.method} ${new URL(request.url).pathname}`);
    const nsName = target.repo ? target.repo.name.slice(0, target.repo.name.indexOf("/")) : target.namespace;
    // Read now (on SQLite before this returns, while a namespace or repository about to be
    // deleted still resolves); the entry is queued when both are known.
    const repoRow = target.repo && target.repo.id === undefined ? ctx.stores.repositories.find(target.repo.name) : undefined;
    const ip = clientAddress(request);
    const repoKeys = target.repo && nsName ? { repo: target.repo.name.slice(nsName.length + 1), namespace: nsName } : nsName ? { namespace: nsName } : {};
    const ns = nsName ? ctx.stores.orgs.namespace(nsName) : undefined;
    // The time of the call, not of the lookups' answers: on PostgreSQL the next request's entry
    // may be queued before this one's, and the log is ordered by time.
    const at = Date.now();
    const record = async () =>
      ctx.stores.auditWriter.record({
        kind,
        at,
        namespace: nsName ? await namespaceRef(ns, nsName) : undefined,
        repositoryId: target.repo ? (target.repo.id ?? (await repoRow)?.id) : undefined,
        performer: performerOf(caller),
        ip: ip === "unknown" ? undefined : ip,
        metadata: { ...repoKeys, ...callerMetadata(caller), ...metadata },
      });
    const recording = record();
    // The answer waits for it (auditRecorded), and so do the log's readers (the entries of a
    // request that failed before its answer too).
    const pending = recordingsOf.get(request) ?? [];
    pending.push(recording);
    recordingsOf.set(request, pending);
    ctx.stores.auditWriter.awaiting(recording);
    void recording.catch((e: unknown) => ctx.log.error("audit entry lost", e));
  };
}

async function namespaceRef(found: Promise<{ id: number } | undefined> | undefined, name: string): Promise<{ id: number; name: string } | undefined> {
  const ns = await found;
  return ns ? { id: ns.id, name } : undefined;
}
