import { describe, expect, test } from "bun:test";
import { parseContentRange, parseRangeHeader, type RangeRequest } from "../../../src/oci/httpRange.ts";

const full: RangeRequest = { kind: "full" };
const unsat: RangeRequest = { kind: "unsatisfiable" };
const part = (start: number, end: number): RangeRequest => ({ kind: "partial", start, end });

describe("parseRangeHeader", () => {
  test.each<[string | null, number, RangeRequest]>([
    [null, 100, full],
    [null, 0, full],
    // bytes=a-b
    ["bytes=0-0", 100, part(0, 0)],
    ["bytes=0-99", 100, part(0, 99)],
    ["bytes=10-19", 100, part(10, 19)],
    ["bytes=99-99", 100, part(99, 99)],
    ["bytes=50-1000", 100, part(50, 99)], // end clamps
    ["bytes=0-99999999999999999999", 100, part(0, 99)],
    ["BYTES=0-1", 100, part(0, 1)],
    [" bytes = 0-1 ", 100, part(0, 1)],
    ["bytes=007-8", 100, part(7, 8)],
    // bytes=a-
    ["bytes=0-", 100, part(0, 99)],
    ["bytes=42-", 100, part(42, 99)],
    ["bytes=99-", 100, part(99, 99)],
    // bytes=-n
    ["bytes=-1", 100, part(99, 99)],
    ["bytes=-10", 100, part(90, 99)],
    ["bytes=-100", 100, part(0, 99)],
    ["bytes=-500", 100, part(0, 99)],
    ["bytes=-0", 100, unsat],
    // unsatisfiable
    ["bytes=100-", 100, unsat],
    ["bytes=100-200", 100, unsat],
    ["bytes=5-4", 100, unsat],
    ["bytes=99999999999999999999-", 100, unsat],
    ["bytes=0-", 0, unsat],
    ["bytes=0-0", 0, unsat],
    ["bytes=-1", 0, unsat],
    ["bytes=-0", 0, unsat],
    // ignored → full
    ["bytes=0-1,5-6", 100, full],
    ["bytes=0-1, 5-6", 100, full],
    ["bytes=0-1,", 100, full],
    ["bytes=-", 100, full],
    ["bytes=", 100, full],
    ["bytes=a-b", 100, full],
    ["bytes=1-2-3", 100, full],
    ["bytes=-1-2", 100, full],
    ["bytes=+1-2", 100, full],
    ["bytes=1 - 2", 100, full],
    ["bytes=1.5-2", 100, full],
    ["bytes 0-1", 100, full],
    ["0-1", 100, full],
    ["items=0-1", 100, full],
    ["", 100, full],
    ["bytes=x", 0, full],
  ])("%j of %d → %j", (header, size, want) => {
    expect(parseRangeHeader(header, size)).toEqual(want);
  });
});

describe("parseContentRange", () => {
  test.each<[string | null, { ok: true; start: number; end: number } | { ok: false }]>([
    ["0-0", { ok: true, start: 0, end: 0 }],
    ["0-1023", { ok: true, start: 0, end: 1023 }],
    ["1024-2047", { ok: true, start: 1024, end: 2047 }],
    [" 1-2 ", { ok: true, start: 1, end: 2 }],
    ["bytes 0-9", { ok: true, start: 0, end: 9 }],
    ["Bytes 0-9", { ok: true, start: 0, end: 9 }],
    ["bytes 0-9/10", { ok: true, start: 0, end: 9 }],
    ["0-9/*", { ok: true, start: 0, end: 9 }],
    ["bytes 0-9/*", { ok: true, start: 0, end: 9 }],
    ["0-9/100", { ok: true, start: 0, end: 9 }],
    [null, { ok: false }],
    ["", { ok: false }],
    ["5-4", { ok: false }],
    ["0-", { ok: false }],
    ["-5", { ok: false }],
    ["a-b", { ok: false }],
    ["0-9/9", { ok: false }],
    ["0-9/", { ok: false }],
    ["bytes=0-9", { ok: false }],
    ["bytes */10", { ok: false }],
    ["0-1,2-3", { ok: false }],
    ["1.5-2", { ok: false }],
    ["0-99999999999999999999", { ok: false }],
  ])("%j → %j", (header, want) => {
    expect(parseContentRange(header)).toEqual(want);
  });
});
