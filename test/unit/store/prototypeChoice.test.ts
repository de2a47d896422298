import { describe, expect, test } from "bun:test";
import { chooseDefaultGrants, type ApplicablePrototype, type PrototypeCreator } from "../../../src/store/meta/prototypeChoice";

const CREATOR: PrototypeCreator = { userId: 1 };
const any = (delegate: ApplicablePrototype["delegate"], role: ApplicablePrototype["role"]): ApplicablePrototype => ({ forCreator: false, delegate, role });
const mine = (delegate: ApplicablePrototype["delegate"], role: ApplicablePrototype["role"]): ApplicablePrototype => ({ forCreator: true, delegate, role });

describe("which default permissions apply (oldest prototype first)", () => {
  test.each<[string, ApplicablePrototype[], PrototypeCreator, ReturnType<typeof chooseDefaultGrants>]>([
    ["none", [], CREATOR, []],
    ["one for anybody", [any({ teamId: 7 }, "read")], CREATOR, [{ delegate: { teamId: 7 }, role: "read" }]],
    [
      "different delegates all apply",
      [any({ teamId: 7 }, "read"), any({ userId: 2 }, "write"), mine({ robotId: 3 }, "admin")],
      CREATOR,
      [
        { delegate: { teamId: 7 }, role: "read" },
        { delegate: { userId: 2 }, role: "write" },
        { delegate: { robotId: 3 }, role: "admin" },
      ],
    ],
    ["for the creator beats for anybody (anybody's first)", [any({ teamId: 7 }, "read"), mine({ teamId: 7 }, "admin")], CREATOR, [{ delegate: { teamId: 7 }, role: "admin" }]],
    ["for the creator beats for anybody (creator's first)", [mine({ teamId: 7 }, "admin"), any({ teamId: 7 }, "read")], CREATOR, [{ delegate: { teamId: 7 }, role: "admin" }]],
    ["among anybody's, the first wins", [any({ userId: 2 }, "read"), any({ userId: 2 }, "admin")], CREATOR, [{ delegate: { userId: 2 }, role: "read" }]],
    ["among the creator's, the last wins", [mine({ userId: 2 }, "read"), mine({ userId: 2 }, "write")], CREATOR, [{ delegate: { userId: 2 }, role: "write" }]],
    ["the creating user is skipped", [any({ userId: 1 }, "read"), any({ teamId: 1 }, "read")], CREATOR, [{ delegate: { teamId: 1 }, role: "read" }]],
    ["the creating robot is skipped, a user with its id is not", [any({ robotId: 1 }, "read"), any({ userId: 1 }, "write")], { robotId: 1 }, [{ delegate: { userId: 1 }, role: "write" }]],
    ["user, robot and team with one id are different delegates", [any({ userId: 5 }, "read"), any({ robotId: 5 }, "write"), any({ teamId: 5 }, "admin")], CREATOR, [
      { delegate: { userId: 5 }, role: "read" },
      { delegate: { robotId: 5 }, role: "write" },
      { delegate: { teamId: 5 }, role: "admin" },
    ]],
  ])("%s", (_name, prototypes, creator, want) => {
    expect(chooseDefaultGrants(prototypes, creator)).toEqual(want);
  });
});
