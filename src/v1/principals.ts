// Names API v1 bodies and paths use for people and robots: a user name, or `owner+short` for a
// robot (only robot names hold a "+").
import type { RobotRow } from "../store/meta/robots";
import type { UserRow } from "../store/meta/users";
import type { V1Context } from "./context";

export type NamedPrincipal =
  | { kind: "user"; member: { userId: number }; user: UserRow }
  | { kind: "robot"; member: { robotId: number }; robot: RobotRow };

/** The user or robot with this name, or undefined when there is none. */
export async function principalByName(ctx: V1Context, name: string): Promise<NamedPrincipal | undefined> {
  if (name.includes("+")) {
    const robot = await ctx.stores.robots.byName(name);
    return robot ? { kind: "robot", member: { robotId: robot.id }, robot } : undefined;
  }
  const user = await ctx.stores.users.byName(name);
  return user ? { kind: "user", member: { userId: user.id }, user } : undefined;
}
