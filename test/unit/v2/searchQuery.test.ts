import { describe, expect, test } from "bun:test";
import { parseSearchQuery } from "../../../src/v2/search.ts";

describe("parseSearchQuery", () => {
  const cases: [string, { term: string; limit: number; page: number } | "refused"][] = [
    ["", { term: "", limit: 25, page: 1 }],
    ["q=app", { term: "app", limit: 25, page: 1 }],
    ["q=%20app%20", { term: "app", limit: 25, page: 1 }],
    ["q=app&n=10&page=3", { term: "app", limit: 10, page: 3 }],
    ["q=app&n=100", { term: "app", limit: 100, page: 1 }],
    ["q=app&n=101", { term: "app", limit: 100, page: 1 }],
    ["q=app&n=99999999999999999999", { term: "app", limit: 25, page: 1 }],
    ["q=app&n=0", { term: "app", limit: 1, page: 1 }],
    ["q=app&n=-3", { term: "app", limit: 1, page: 1 }],
    ["q=app&n=1e3", { term: "app", limit: 25, page: 1 }],
    ["q=app&n=ten", { term: "app", limit: 25, page: 1 }],
    ["q=app&page=0", { term: "app", limit: 25, page: 1 }],
    ["q=app&page=100", { term: "app", limit: 25, page: 100 }],
    ["q=app&page=101", { term: "app", limit: 25, page: 100 }],
    ["q=app&page=x", { term: "app", limit: 25, page: 1 }],
    [`q=${"a".repeat(255)}`, { term: "a".repeat(255), limit: 25, page: 1 }],
    [`q=${"a".repeat(256)}`, "refused"],
  ];
  for (const [query, want] of cases) {
    test(JSON.stringify(query.slice(0, 40)), () => {
      const got = parseSearchQuery(new URLSearchParams(query));
      if (want === "refused") expect(got.ok).toBe(false);
      else expect(got).toEqual({ ok: true, query: want });
    });
  }
});
