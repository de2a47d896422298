// The collector's mark phase: which manifests of a repository nothing keeps, keepers first.
import { describe, expect, test } from "bun:test";
import { manifestGarbage, type ManifestNode } from "../../../src/registry/lifecycle/manifestGarbage";

/** A repository in shorthand: name → { root?, children?, subject? }. Digests are the names. */
type Shape = Record<string, { root?: boolean; children?: string[]; subject?: string }>;

function nodes(shape: Shape): ManifestNode[] {
  return Object.entries(shape).map(([digest, n], i) => ({
    id: i + 1,
    digest,
    subjectDigest: n.subject ?? null,
    root: n.root ?? false,
    children: n.children ?? [],
  }));
}

const garbageOf = (shape: Shape) => manifestGarbage(nodes(shape)).map((n) => n.digest);

describe("manifestGarbage", () => {
  test.each<[string, Shape, string[]]>([
    ["nothing in the repository", {}, []],
    ["a tagged image stays, an untagged one goes", { img: { root: true }, old: {} }, ["old"]],
    ["a kept index keeps its children", { idx: { root: true, children: ["a", "b"] }, a: {}, b: {} }, []],
    ["an untagged index goes before its children", { a: {}, idx: { children: ["a", "b"] }, b: {} }, ["idx", "a", "b"]],
    ["a child another kept index lists stays", { old: { children: ["a", "b"] }, live: { root: true, children: ["b"] }, a: {}, b: {} }, ["old", "a"]],
    ["a child tagged itself stays though its index goes", { idx: { children: ["a"] }, a: { root: true } }, ["idx"]],
    ["referrers live as long as their subject", { img: { root: true }, sig: { subject: "img" }, sbom: { subject: "img" } }, []],
    ["a subject's referrers go after it", { sig: { subject: "img" }, img: {} }, ["img", "sig"]],
    ["a referrer of a referrer follows the chain", { img: { root: true }, sig: { subject: "img" }, att: { subject: "sig" } }, []],
    ["a chain goes subject first", { att: { subject: "sig" }, sig: { subject: "img" }, img: {} }, ["img", "sig", "att"]],
    ["a tagged referrer stays without its subject", { img: {}, sig: { subject: "img", root: true } }, ["img"]],
    ["a referrer whose subject is not in the repository goes", { sig: { subject: "elsewhere" } }, ["sig"]],
    ["the referrers of a child of a kept index stay", { idx: { root: true, children: ["a"] }, a: {}, sig: { subject: "a" } }, []],
    [
      "a nested index: outer, inner, then the images",
      { img: {}, inner: { children: ["img"] }, outer: { children: ["inner"] } },
      ["outer", "inner", "img"],
    ],
    ["a listed child that is not stored is ignored", { idx: { root: true, children: ["gone"] } }, []],
  ])("%s", (_name, shape, want) => {
    expect(garbageOf(shape)).toEqual(want);
  });

  test("every garbage manifest comes after every garbage manifest that could keep it", () => {
    // A wide graph: 50 indexes sharing 100 images, each image with a referrer; nothing tagged.
    const shape: Shape = {};
    for (let i = 0; i < 100; i++) {
      shape[`img${i}`] = {};
      shape[`sig${i}`] = { subject: `img${i}` };
    }
    for (let j = 0; j < 50; j++) shape[`idx${j}`] = { children: [`img${j}`, `img${j + 50}`, `img${(j * 7) % 100}`] };
    const order = manifestGarbage(nodes(shape));
    expect(order).toHaveLength(250);
    const at = new Map(order.map((n, i) => [n.digest, i]));
    for (const n of order) {
      for (const c of n.children) expect(at.get(c)!).toBeGreaterThan(at.get(n.digest)!);
      if (n.subjectDigest) expect(at.get(n.subjectDigest)!).toBeLessThan(at.get(n.digest)!);
    }
  });
});
