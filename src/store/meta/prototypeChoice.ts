// Which default permissions (prototypes) apply when someone creates a repository in an
// organization, by Quay's rule. Pure: the store reads the prototypes and writes the grants.

import type { GrantRole } from "./permissions";

export type PrototypeCreator = { userId: number } | { robotId: number };
export type PrototypeDelegate = { userId: number } | { robotId: number } | { teamId: number };

export interface ApplicablePrototype {
  /** True when the prototype names the creator; false when it applies to any creator. */
  forCreator: boolean;
  delegate: PrototypeDelegate;
  role: GrantRole;
}

export interface DefaultGrant {
  delegate: PrototypeDelegate;
  role: GrantRole;
}

/**
 * `prototypes`: those naming the creator or nobody, oldest first. Per delegate, a prototype
 * naming the creator beats one for anybody (the later wins among those naming the creator; the
 * first wins among those for anybody). The creator itself is skipped: it already holds admin.
 */
export function chooseDefaultGrants(prototypes: ApplicablePrototype[], creator: PrototypeCreator): DefaultGrant[] {
  const chosen = new Map<string, DefaultGrant>();
  for (const p of prototypes) {
    const key = delegateKey(p.delegate);
    if (chosen.has(key) && !p.forCreator) continue;
    chosen.set(key, { delegate: p.delegate, role: p.role });
  }
  const self = "userId" in creator ? `user:${creator.userId}` : `robot:${creator.robotId}`;
  return [...chosen].filter(([key]) => key !== self).map(([, grant]) => grant);
}

function delegateKey(d: PrototypeDelegate): string {
  if ("userId" in d) return `user:${d.userId}`;
  if ("robotId" in d) return `robot:${d.robotId}`;
  return `team:${d.teamId}`;
}
