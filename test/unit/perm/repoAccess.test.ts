import { describe, expect, test } from "bun:test";
import {
  checkRepoRole,
  mayAdminRepo,
  mayClearTagImmutability,
  mayReadRepo,
  mayWriteRepo,
  roleRequired,
  type RepoCheck,
} from "../../../src/perm/repoAccess.ts";
import type { Principal, RepoRole } from "../../../src/perm/roles.ts";

describe("checkRepoRole: the permission first, then whether the repository exists", () => {
  test.each<[RepoRole, boolean, RepoRole, RepoCheck]>([
    ["read", true, "read", "allowed"],
    ["admin", true, "write", "allowed"],
    ["write", true, "admin", "denied"],
    ["none", true, "read", "denied"],
    // A missing repository answers like a forbidden one to whoever lacks the role…
    ["none", false, "read", "denied"],
    ["read", false, "admin", "denied"],
    // …and is 404 only to a caller who would hold it (an org admin, a full-access superuser).
    ["admin", false, "admin", "missing"],
    ["admin", false, "read", "missing"],
  ])("role %p, exists %p, needs %p → %p", (role, exists, needed, want) => {
    expect(checkRepoRole({ role, exists }, needed)).toBe(want);
  });
});

describe("roleRequired: read-only superusers read admin routes that allow it", () => {
  const alice: Principal = { kind: "user", name: "alice", superuser: false, readonlySuperuser: false };
  const su: Principal = { kind: "user", name: "root", superuser: true, readonlySuperuser: false };
  const gro: Principal = { kind: "user", name: "auditor", superuser: false, readonlySuperuser: true };
  const bot: Principal = { kind: "robot", name: "acme+ci", owner: "acme" };
  test.each<[string, Principal, RepoRole, boolean, RepoRole]>([
    ["read-only superuser, allowed admin read", gro, "admin", true, "read"],
    ["read-only superuser, admin route not allowing it", gro, "admin", false, "admin"],
    ["read-only superuser, write route", gro, "write", true, "write"],
    ["superuser", su, "admin", true, "admin"],
    ["user", alice, "admin", true, "admin"],
    ["robot", bot, "admin", true, "admin"],
    ["anonymous", { kind: "anonymous" }, "read", true, "read"],
  ])("%s", (_, principal, needed, allowReadonly, want) => {
    expect(roleRequired(principal, needed, allowReadonly)).toBe(want);
  });
});

describe("what a role lets its holder do", () => {
  test.each<[RepoRole, { read: boolean; write: boolean; admin: boolean; clearImmutability: boolean }]>([
    ["none", { read: false, write: false, admin: false, clearImmutability: false }],
    ["read", { read: true, write: false, admin: false, clearImmutability: false }],
    ["write", { read: true, write: true, admin: false, clearImmutability: false }],
    ["admin", { read: true, write: true, admin: true, clearImmutability: true }],
  ])("%p", (role, want) => {
    expect({
      read: mayReadRepo(role),
      write: mayWriteRepo(role),
      admin: mayAdminRepo(role),
      clearImmutability: mayClearTagImmutability(role),
    }).toEqual(want);
  });
});
