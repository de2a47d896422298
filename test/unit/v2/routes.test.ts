// The /v2 route table decides what a caller needs on the repository: reads need pull, every
// change needs push or delete, and a method without a row is no route (405).
import { describe, expect, test } from "bun:test";
import { REPOSITORY_ROUTES } from "../../../src/v2";

describe("REPOSITORY_ROUTES", () => {
  test("the actions each method needs on each kind of path", () => {
    const table = Object.fromEntries(
      Object.entries(REPOSITORY_ROUTES).flatMap(([kind, byMethod]) => Object.entries(byMethod).map(([method, route]) => [`${method} ${kind}`, route!.actions])),
    );
    expect(table).toEqual({
      "GET manifest": ["pull"],
      "HEAD manifest": ["pull"],
      "PUT manifest": ["pull", "push"],
      "DELETE manifest": ["delete"],
      "GET blob": ["pull"],
      "HEAD blob": ["pull"],
      "DELETE blob": ["delete"],
      "POST uploadStart": ["pull", "push"],
      "GET upload": ["pull", "push"],
      "PATCH upload": ["pull", "push"],
      "PUT upload": ["pull", "push"],
      "DELETE upload": ["pull", "push"],
      "GET tags": ["pull"],
      "HEAD tags": ["pull"],
      "GET referrers": ["pull"],
      "HEAD referrers": ["pull"],
    });
  });
});
