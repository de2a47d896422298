import type { Logger } from "../log";
import type { UserStore } from "../store/meta/users";
import { randomAlnum } from "../secrets";
import { hashPassword, passwordProblem } from "./password";

export const BOOTSTRAP_ADMIN = "admin";

/**
 * First start: creates the superuser `admin` with BERTH_ADMIN_PASSWORD, or a generated password
 * printed once to the log. Later starts leave accounts alone.
 */
export async function bootstrapAdmin(users: UserStore, log: Logger, env: Record<string, string | undefined> = process.env): Promise<void> {
  // Accounts made by `berth user add` before the first start do not stop the bootstrap; an
  // existing admin or another superuser does.
  if ((await users.byName(BOOTSTRAP_ADMIN)) || (await users.hasSuperuser())) return;
  const given = env.BERTH_ADMIN_PASSWORD;
  if (given !== undefined && passwordProblem(given)) {
    throw new Error(`BERTH_ADMIN_PASSWORD: ${passwordProblem(given)}`);
  }
  const password = given ?? randomAlnum(24, "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
  const out = await users.create(BOOTSTRAP_ADMIN, null, await hashPassword(password), true);
  if (out.kind !== "ok") return; // the name is held by an organization: nothing to bootstrap
  if (given === undefined) log.info(`created superuser "admin" with password: ${password} (shown once; change it with: berth user passwd admin)`);
  else log.info(`created superuser "admin" with the password from BERTH_ADMIN_PASSWORD`);
}
