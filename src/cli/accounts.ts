import { syncLibraryOwners } from "../auth/libraryNamespace";
import { hashPassword, passwordProblem } from "../auth/password";
import { randomAlnum } from "../secrets";
import type { Config } from "../config";
import { isReservedNamespace } from "../oci";
import type { Stores } from "../store";
import { SYSTEM_ACTOR, type Registry } from "../registry/registry";

// `berth user|org|robot …`: account chores on the data directory, with the server stopped or
// running (SQLite WAL lets both write). A running server may honour an old password for up to
// its credential cache time (60 s); disabling a user takes effect at once.

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** A refusal to report on stderr; exit code 1 (a failed chore) unless given (2: bad input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

function checkName(kind: string, name: string): void {
  if (name.length < 2 || name.length > 255 || !NAME.test(name)) {
    throw new CliError(`${kind} name "${name}" must be 2–255 of a-z, 0-9 and single . _ - between them`);
  }
}

/** Names of users and organizations, which are namespaces: reserved ones are refused too. */
function checkNamespaceName(kind: string, name: string): void {
  checkName(kind, name);
  if (isReservedNamespace(name)) {
    throw new CliError(`the name "${name}" is reserved: the organization "${name}" (owned by the superusers) holds unqualified names such as "alpine"`);
  }
}

async function readPassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomAlnum(20, "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), generated: true };
  const text = await new Response(Bun.stdin.stream()).text();
  const password = text.replace(/\r?\n$/, "");
  const problem = passwordProblem(password);
  if (problem) throw new CliError(problem);
  return { password, generated: false };
}

export async function userAdd(
  stores: Stores,
  name: string,
  opts: { email?: string; superuser?: boolean; passwordStdin?: boolean },
  superusers: Pick<Config, "superusers" | "readonlySuperusers">,
): Promise<string> {
  checkNamespaceName("user", name);
  const { password, generated } = await readPassword(!!opts.passwordStdin);
  const out = await stores.users.create(name, opts.email ?? null, await hashPassword(password), !!opts.superuser);
  if (out.kind === "nameTaken") throw new CliError(`the name "${name}" is taken`);
  if (out.kind === "emailTaken") throw new CliError(`the email "${opts.email}" is in use`);
  // A superuser (by --superuser or the config list) owns `library` at once, not at the next start.
  await syncLibraryOwners(stores, superusers);
  return `created user ${name}${opts.superuser ? " (superuser)" : ""}${generated ? ` with password: ${password}` : ""}`;
}

export async function userPasswd(stores: Stores, name: string, passwordStdin: boolean): Promise<string> {
  const user = await stores.users.byName(name);
  if (!user) throw new CliError(`no user "${name}"`);
  const { password, generated } = await readPassword(passwordStdin);
  await stores.users.setPassword(user.id, await hashPassword(password));
  await stores.users.rotateUuid(user.id);
  return `password of ${name} changed${generated ? ` to: ${password}` : ""}`;
}

export async function userSetEnabled(stores: Stores, name: string, enabled: boolean): Promise<string> {
  const user = await stores.users.byName(name);
  if (!user) throw new CliError(`no user "${name}"`);
  await stores.users.setEnabled(user.id, enabled);
  if (!enabled) await stores.users.rotateUuid(user.id);
  return `user ${name} ${enabled ? "enabled" : "disabled"}`;
}

export async function orgAdd(stores: Stores, name: string, owner: string): Promise<string> {
  checkNamespaceName("organization", name);
  const user = await stores.users.byName(owner);
  if (!user) throw new CliError(`no user "${owner}" to own the organization`);
  const out = await stores.orgs.create(name, user.id);
  if (out.kind === "nameTaken") throw new CliError(`the name "${name}" is taken`);
  return `created organization ${name} owned by ${owner} (team owners)`;
}

/** Creates `owner+short` and returns its token (printed once by the CLI). */
export async function robotAdd(stores: Stores, fullName: string): Promise<string> {
  const plus = fullName.indexOf("+");
  if (plus < 0) throw new CliError(`robot names are owner+short, got "${fullName}"`);
  const owner = fullName.slice(0, plus);
  const short = fullName.slice(plus + 1);
  checkName("robot", short);
  if (!(await stores.orgs.namespace(owner))) throw new CliError(`no user or organization "${owner}"`);
  const token = randomAlnum(64);
  if (!await stores.robots.create(owner, short, token)) throw new CliError(`robot "${fullName}" exists`);
  return token;
}

/** A new token for the robot; the old one stops working (a running server forgets it within its credential cache time). */
export async function robotRegenerate(stores: Stores, fullName: string): Promise<string> {
  const robot = await stores.robots.byName(fullName);
  if (!robot) throw new CliError(`no robot "${fullName}"`);
  const token = randomAlnum(64);
  await stores.robots.setToken(robot.id, token);
  return token;
}

export async function repoVisibility(stores: Stores, registry: Registry, name: string, visibility: string | undefined): Promise<string> {
  if (visibility !== "public" && visibility !== "private") throw new CliError("repo visibility needs public or private");
  const repo = await stores.repositories.find(name);
  if (!repo) throw new CliError(`no repository "${name}"`);
  const outcome = await registry.changeVisibility({ repo: { id: repo.id, name: repo.fullName }, visibility, actor: SYSTEM_ACTOR });
  if (outcome.kind !== "ok") throw new CliError(`no repository "${name}"`);
  return `${name} is now ${visibility}`;
}
