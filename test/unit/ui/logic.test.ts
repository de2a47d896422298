// The web UI's pure pieces (src/ui/app/logic, src/ui/serve/paths.ts, the bundle's data-URL split).
import { describe, expect, test } from "bun:test";
import { bytes, duration, shortDigest } from "../../../src/ui/app/logic/format";
import { pullCommands } from "../../../src/ui/app/logic/pullCommands";
import { perDay } from "../../../src/ui/app/logic/activity";
import { windowSeconds } from "../../../src/ui/app/logic/timeMachine";
import { uiPathOf } from "../../../src/ui/serve/paths";
import { splitDataUrls, type UiAsset } from "../../../src/ui/build/bundle";

describe("uiPathOf: the web UI's paths, and no one else's", () => {
  test.each([
    ["/", "shell"],
    ["/repository", "shell"],
    ["/repository/ns/a/b", "shell"],
    ["/organization/acme", "shell"],
    ["/user/alice", "shell"],
    ["/user", "shell"],
    ["/superuser", "shell"],
    ["/signin", "shell"],
    ["/static/ui/main-abc.js", "asset"],
    ["/static/ui/../secret", undefined],
    ["/static/ui/", undefined],
    ["/static/img/berth-logo.svg", undefined],
    ["/v2/", undefined],
    ["/api/v1/user/", undefined],
    ["/oauth/authorize", undefined],
    ["/csrf_token", undefined],
    ["/health", undefined],
    ["/config", undefined],
    ["/metrics", undefined],
    ["/repositoryx", undefined],
    ["/users", undefined],
    ["/signinx", undefined],
  ] as const)("%s → %s", (path, kind) => {
    expect(uiPathOf(path)?.kind).toBe(kind);
  });
});

describe("splitDataUrls", () => {
  test("a font inlined as base64 becomes a file of its own, named by its content, once", () => {
    const assets: UiAsset[] = [];
    const font = Buffer.from("wOF2 font bytes").toString("base64");
    const css = `@font-face{src:url(data:font/woff2;base64,${font})}a{src:url("data:font/woff2;base64,${font}")}`;
    const out = splitDataUrls(css, assets);
    expect(assets).toHaveLength(1);
    expect(assets[0]).toMatchObject({ type: "font/woff2", body: font, gzipped: false });
    expect(out).toBe(`@font-face{src:url(/static/ui/${assets[0]!.name})}a{src:url(/static/ui/${assets[0]!.name})}`);
  });

  test("an SVG is kept gzipped, as the other text", () => {
    const assets: UiAsset[] = [];
    const svg = "<svg xmlns='http://www.w3.org/2000/svg'/>";
    splitDataUrls(`a{background:url(data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")})}`, assets);
    expect(assets[0]!.gzipped).toBe(true);
    expect(new TextDecoder().decode(Bun.gunzipSync(Buffer.from(assets[0]!.body, "base64")))).toBe(svg);
  });

  test("a type it does not know stays inline", () => {
    const assets: UiAsset[] = [];
    const css = "a{background:url(data:image/gif;base64,R0lGOD==)}";
    expect(splitDataUrls(css, assets)).toBe(css);
    expect(assets).toEqual([]);
  });
});

describe("formats", () => {
  test.each([
    [null, "—"],
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [69_222, "67.6 KiB"],
    [5 * 1024 ** 3, "5.0 GiB"],
  ] as const)("bytes(%p) = %s", (n, text) => expect(bytes(n)).toBe(text));

  test.each([
    [0, "0 seconds"],
    [86400, "1 day"],
    [1209600, "2 weeks"],
    [90, "90 seconds"],
    [7200, "2 hours"],
  ] as const)("duration(%p) = %s", (s, text) => expect(duration(s)).toBe(text));

  test("shortDigest", () => expect(shortDigest("sha256:0123456789abcdef0123")).toBe("0123456789ab"));
});

describe("pull commands", () => {
  test.each([
    ["v1", "registry.example.com/acme/app:v1"],
    ["sha256:abc", "registry.example.com/acme/app@sha256:abc"],
  ])("%s", (ref, target) => {
    expect(pullCommands("registry.example.com", "acme/app", ref)).toEqual({ docker: `docker pull ${target}`, podman: `podman pull ${target}` });
  });
});

describe("perDay", () => {
  test("kinds of one day add up; days come oldest first", () => {
    expect(
      perDay([
        { kind: "push_repo", count: 2, datetime: "Tue, 02 Dec 2026 00:00:00 -0000" },
        { kind: "pull_repo", count: 5, datetime: "Mon, 01 Dec 2026 00:00:00 -0000" },
        { kind: "delete_tag", count: 1, datetime: "Tue, 02 Dec 2026 00:00:00 -0000" },
      ]),
    ).toEqual([
      { day: "2026-12-01", count: 5 },
      { day: "2026-12-02", count: 3 },
    ]);
  });
  test("none", () => expect(perDay([])).toEqual([]));
});

describe("windowSeconds", () => {
  test("Quay's options as /config lists them", () => {
    expect(windowSeconds(["0s", "1d", "1w", "2w", "4w"])).toEqual([0, 86400, 604800, 1209600, 2419200]);
  });
  test("what it cannot read is left out", () => expect(windowSeconds(["1y", "x", "3h"])).toEqual([10800]));
});
