// The `scope` parameter of the token endpoint (Docker token spec), parsed into what the issuer
// evaluates. Pure: no I/O, so the whole grammar is unit-tested in isolation.

import { isValidRepoName } from "../oci/name.ts";
import { quoteForMessage } from "../oci/quoteForMessage.ts";

export type ScopeAction = "pull" | "push" | "delete" | "*";

export type Scope =
  | {
      type: "repository";
      /** The repository (host prefix stripped): what routes and grants are keyed by. */
      name: string;
      /** The name exactly as the client sent it; Quay echoes this in the JWT `access[].name`. */
      requested: string;
      actions: ScopeAction[];
    }
  | { type: "registry"; name: "catalog"; actions: ["*"] };

export type ParseScopesResult = { ok: true; scopes: Scope[] } | { ok: false; message: string };

// Canonical action order: merged scopes and tokens then read the same whatever the client sent.
const ACTION_ORDER: readonly ScopeAction[] = ["pull", "push", "delete", "*"];

// resourcetype[(resourceclass)]; the class (e.g. "plugin") does not change what is protected.
const RESOURCE_TYPE = /^([a-z0-9]+(?:[._-][a-z0-9]+)*)(?:\([a-zA-Z0-9]+\))?$/;

// Docker reference grammar for a registry host: domain components with an optional port.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);

/**
 * Strips a `host[:port]/` prefix from a scope's name. Clients send the repository path alone
 * (Docker and containers/image take the host off); some tools send the name as typed. A first
 * component is this registry only when it has a port (a namespace cannot hold ":") or is one of
 * `ownHosts` (the names this registry answers to), as Quay strips only its SERVER_HOSTNAME.
 * Docker's own rule ("contains a dot or is localhost") is for references a user types, not for
 * scopes: applied here it read the namespace of `john.doe/app` as a host and asked for `app`.
 * Returns undefined when the first component has a port but is not a valid host (e.g. "a:b/c"),
 * so ":" can never sneak into a repository name.
 */
export function stripHostPrefix(name: string, ownHosts: readonly string[] = []): string | undefined {
  const slash = name.indexOf("/");
  if (slash < 0) return name;
  const first = name.slice(0, slash);
  if (first.includes(":")) return HOST.test(first) ? name.slice(slash + 1) : undefined;
  const lower = first.toLowerCase();
  return ownHosts.some((h) => h.toLowerCase() === lower) ? name.slice(slash + 1) : name;
}

function sortActions(actions: Iterable<ScopeAction>): ScopeAction[] {
  const set = new Set(actions);
  return ACTION_ORDER.filter((a) => set.has(a));
}

function isScopeAction(value: string): value is ScopeAction {
  return (ACTION_ORDER as readonly string[]).includes(value);
}

type One = { ok: true; scope: Scope | null } | { ok: false; message: string };

function parseOne(raw: string, ownHosts: readonly string[]): One {
  const first = raw.indexOf(":");
  const last = raw.lastIndexOf(":");
  if (first < 0 || first === last) {
    return { ok: false, message: `malformed scope ${quoteForMessage(raw)}` };
  }
  const typeMatch = RESOURCE_TYPE.exec(raw.slice(0, first));
  if (!typeMatch) {
    return { ok: false, message: `malformed resource type in scope ${quoteForMessage(raw)}` };
  }
  const type = typeMatch[1];
  const name = raw.slice(first + 1, last);
  // Unknown actions are dropped: clients only send known ones, and a future one must not
  // break older servers.
  const actions = sortActions(raw.slice(last + 1).split(",").filter(isScopeAction));

  if (type === "repository") {
    const repo = stripHostPrefix(name, ownHosts);
    if (repo === undefined || !isValidRepoName(repo)) {
      return { ok: false, message: `invalid repository name in scope ${quoteForMessage(raw)}` };
    }
    return { ok: true, scope: { type: "repository", name: repo, requested: name, actions } };
  }
  if (type === "registry" && name === "catalog" && actions.includes("*")) {
    return { ok: true, scope: { type: "registry", name: "catalog", actions: ["*"] } };
  }
  // Unknown resource types (and registry resources other than catalog:*) grant nothing;
  // ignoring them keeps clients that ask for extras working.
  return { ok: true, scope: null };
}

/**
 * Parses every `scope` query value. A value may hold several space-separated scopes; empty
 * values are skipped. Scopes for the same repository (after host stripping) merge into one
 * entry (first `requested` kept, actions unioned), in order of first appearance. `ownHosts`:
 * the host names a `host/` prefix may name (see stripHostPrefix).
 */
export function parseScopes(values: string[], ownHosts: readonly string[] = []): ParseScopesResult {
  const scopes: Scope[] = [];
  const byRepo = new Map<string, Scope & { type: "repository" }>();
  let catalog = false;
  for (const value of values) {
    for (const raw of value.split(/\s+/)) {
      if (raw === "") continue;
      const one = parseOne(raw, ownHosts);
      if (!one.ok) return one;
      const scope = one.scope;
      if (scope === null) continue;
      if (scope.type === "registry") {
        if (!catalog) scopes.push(scope);
        catalog = true;
        continue;
      }
      const seen = byRepo.get(scope.name);
      if (seen) {
        seen.actions = sortActions([...seen.actions, ...scope.actions]);
      } else {
        byRepo.set(scope.name, scope);
        scopes.push(scope);
      }
    }
  }
  return { ok: true, scopes };
}

/** `repository:ns/app:pull,push` (the stripped name: what a challenge asks for). */
export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(",")}`;
}
