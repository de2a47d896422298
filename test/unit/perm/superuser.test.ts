import { describe, expect, test } from "bun:test";
import type { Principal } from "../../../src/perm/roles.ts";
import { isProtectedSuperuser, mayCreateOrganization, maySuperuser } from "../../../src/perm/superuser.ts";

const anon: Principal = { kind: "anonymous" };
const alice: Principal = { kind: "user", name: "alice", superuser: false, readonlySuperuser: false };
const su: Principal = { kind: "user", name: "root", superuser: true, readonlySuperuser: false };
const gro: Principal = { kind: "user", name: "auditor", superuser: false, readonlySuperuser: true };
const bot: Principal = { kind: "robot", name: "root+ci", owner: "root" };

describe("the superuser panel and organization creation", () => {
  test.each<[string, Principal, { read: boolean; write: boolean; createOrg: boolean }]>([
    ["superuser", su, { read: true, write: true, createOrg: true }],
    ["read-only superuser", gro, { read: true, write: false, createOrg: false }],
    ["user", alice, { read: false, write: false, createOrg: true }],
    ["robot of a superuser", bot, { read: false, write: false, createOrg: false }],
    ["anonymous", anon, { read: false, write: false, createOrg: false }],
  ])("%s", (_, principal, want) => {
    expect({
      read: maySuperuser(principal, "read"),
      write: maySuperuser(principal, "write"),
      createOrg: mayCreateOrganization(principal),
    }).toEqual(want);
  });
});

describe("isProtectedSuperuser: accounts the panel may not change or delete", () => {
  test.each<[string, { username: string; superuser: boolean }, boolean]>([
    ["superuser by the account's flag", { username: "root", superuser: true }, true],
    ["superuser by the configured list", { username: "admin", superuser: false }, true],
    ["an ordinary user", { username: "alice", superuser: false }, false],
    ["a read-only superuser (not in the superuser list)", { username: "auditor", superuser: false }, false],
  ])("%s", (_, account, want) => {
    expect(isProtectedSuperuser(account, ["admin"])).toBe(want);
  });
});
