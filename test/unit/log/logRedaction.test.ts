import { describe, expect, test } from "bun:test";
import { redactedPath } from "../../../src/logRedaction";
import { requestIdFor } from "../../../src/requestNotes";
import { createLogger, type LogLevel } from "../../../src/log";

describe("redactedPath", () => {
  const cases: [string, string][] = [
    ["/v2/a/b/manifests/v1", "/v2/a/b/manifests/v1"],
    ["/v2/auth?service=reg&scope=repository:a/b:pull", "/v2/auth?service=reg&scope=repository:a/b:pull"],
    ["/v2/_catalog?n=10&access_token=abc.def", "/v2/_catalog?n=10&access_token=REDACTED"],
    ["/api/v1/user/?password=hunter2", "/api/v1/user/?password=REDACTED"],
    ["/oauth/authorize?code=xyz&state=1", "/oauth/authorize?code=REDACTED&state=1"],
    ["/x?API_KEY=1&Session=2&client_secret=3&sig=4&signature=5", "/x?API_KEY=REDACTED&Session=REDACTED&client_secret=REDACTED&sig=4&signature=REDACTED"],
    ["/x?pass%77ord=1", "/x?pass%77ord=REDACTED"], // percent-encoded key
    ["/x?%zz=1&token", "/x?%zz=1&token"], // malformed escape; a key without a value has nothing to hide
    ["/x?", "/x?"],
  ];
  test.each(cases)("%s", (path, want) => expect(redactedPath(path)).toBe(want));
});

describe("requestIdFor", () => {
  test.each(["abc", "0af7651916cd43dd8448eb211c80319c", "trace:1/2+3=4@x_y.z-", "x".repeat(128)])("keeps %s", (id) => expect(requestIdFor(id)).toBe(id));
  test.each(["", " ", "a b", "x".repeat(129), 'a"b', "a\\b", "é", "a\tb", "<script>"])("replaces %j", (bad) => {
    const id = requestIdFor(bad);
    expect(id).not.toBe(bad);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
  });
  test("ours differ", () => expect(requestIdFor(null)).not.toBe(requestIdFor(null)));
});

describe("levels", () => {
  const written = (level: LogLevel) => {
    const out: string[] = [];
    const log = createLogger({ requests: true, level, format: "json", write: (s) => out.push(...s.trimEnd().split("\n")) });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e", new Error("boom"));
    log.request({ method: "GET", path: "/ok", status: 200, bytes: 1, ms: 1, id: "a" });
    log.request({ method: "GET", path: "/bad", status: 503, bytes: 1, ms: 1, id: "b" });
    log.flush();
    return out.map((l) => JSON.parse(l) as { level: string; msg: string; path?: string });
  };
  test.each([
    ["debug", ["d", "i", "w", "e", "request /ok", "request /bad"]],
    ["info", ["i", "w", "e", "request /ok", "request /bad"]],
    ["warn", ["w", "e", "request /bad"]],
    ["error", ["e", "request /bad"]],
  ] as [LogLevel, string[]][])("%s", (level, want) => {
    expect(written(level).map((e) => (e.msg === "request" ? `request ${e.path}` : e.msg))).toEqual(want);
  });
  test("a 5xx request line is at level error; an error carries its stack", () => {
    const lines = written("debug");
    expect(lines.find((l) => l.path === "/bad")?.level).toBe("error");
    expect(JSON.stringify(lines.find((l) => l.msg === "e"))).toContain("boom");
  });
});

describe("JSON lines stay JSON whatever the path holds", () => {
  const paths = ['/a"b', "/a\\b", "/a\nb\r", "/tab\there", "/é/ü", "/\ud800x", "/😀", "/\u0000", "/plain?x=1"];
  test.each(paths)("%j", (path) => {
    const out: string[] = [];
    const log = createLogger({ requests: true, format: "json", write: (s) => out.push(s) });
    log.request({ method: "GET", path, status: 200, bytes: 0, ms: 0.123, id: "a", caller: 'us"er', address: "::1" });
    log.flush();
    const entry = JSON.parse(out.join("").trim());
    expect(entry.path).toBe(path);
    expect(entry.user).toBe('us"er');
    expect(entry.ms).toBe(0.12);
  });
});
