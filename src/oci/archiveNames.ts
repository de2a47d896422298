// What an image in an archive is called, and where `berth import` puts it. An OCI layout names
// its images in index.json (`org.opencontainers.image.ref.name`, containerd's
// `io.containerd.image.name`); a `docker save` archive in manifest.json's RepoTags.
//
// THE RULE
// 1. A name with a repository (`team/app:v1`, `docker.io/library/alpine:3`, `ns/app@sha256:…`)
//    goes to that repository: a first component that looks like a registry host (it has a "." or
//    ":", or is "localhost") is dropped; a single component lives in `library` (`alpine`).
// 2. A bare tag (`v1`, as `skopeo copy … oci:DIR:v1` writes) takes containerd's full name when
//    the entry has one, else the repository given with `--repository`; without either it is
//    refused.
// 3. `--namespace NS` replaces the namespace (the first component) of every repository.
// 4. An entry without any name: a referrer (it has a subject) goes wherever its subject goes;
//    anything else goes, untagged, to `--repository`, or is skipped.
import { parseDigest } from "./digest.ts";
import { canonicalRepoName, isValidRepoName, isValidTag } from "./name.ts";
import { quoteForMessage } from "./quoteForMessage.ts";

export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
export const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";

/** Where an image goes: a repository and a tag, or a digest only (untagged). */
export interface ImageTarget {
  repository: string;
  tag?: string;
}

export type TargetResult = { ok: true; target: ImageTarget } | { ok: false; message: string };

export interface NamingOptions {
  /** Replaces the namespace of every repository. */
  namespace?: string;
  /** The repository (ns/name) for names that carry none. */
  repository?: string;
}

function looksLikeHost(component: string): boolean {
  return component.includes(".") || component.includes(":") || component === "localhost";
}

/**
 * Splits `[host/]path[:tag][@digest]` into a repository (canonical, host dropped) and a tag;
 * undefined repository when the text has no repository part.
 */
export function splitReference(text: string): { ok: true; repository: string; tag?: string; digest?: string } | { ok: false; message: string } {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const parsed = parseDigest(digest);
    if (!parsed.ok) return { ok: false, message: `${quoteForMessage(text)} has an invalid digest` };
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) return { ok: false, message: `${quoteForMessage(text)} has an invalid tag` };
  }
  const parts = rest.split("/");
  if (parts.length > 1 && looksLikeHost(parts[0]!)) parts.shift();
  const repository = canonicalRepoName(parts.join("/"));
  if (!isValidRepoName(repository)) return { ok: false, message: `${quoteForMessage(text)} is not a repository name Berth accepts` };
  return { ok: true, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function withNamespace(repository: string, namespace: string | undefined): string {
  if (namespace === undefined) return repository;
  return `${namespace}${repository.slice(repository.indexOf("/"))}`;
}

/**
 * Where an entry named `refName` (and maybe `fullName`, containerd's) goes; undefined `refName`
 * and `fullName`: the entry has no name (see rule 4; the caller decides).
 */
export function importTarget(refName: string | undefined, fullName: string | undefined, opts: NamingOptions): TargetResult | undefined {
  let text = refName;
  if (text !== undefined && isValidTag(text)) {
    // A bare tag: containerd's full name carries the repository; else --repository.
    if (fullName !== undefined) text = fullName;
    else if (opts.repository !== undefined) text = `${opts.repository}:${refName}`;
    else return { ok: false, message: `the image named only ${quoteForMessage(refName!)} has no repository: pass --repository NS/NAME` };
  }
  text ??= fullName;
  if (text === undefined) return undefined;
  const split = splitReference(text);
  if (!split.ok) return split;
  const repository = withNamespace(split.repository, opts.namespace);
  if (!isValidRepoName(repository)) return { ok: false, message: `${quoteForMessage(repository)} is not a repository name Berth accepts` };
  return { ok: true, target: { repository, ...(split.tag !== undefined && split.digest === undefined ? { tag: split.tag } : {}) } };
}

/** The ref name `berth export` writes: `ns/name:tag`, or `ns/name@digest` for an untagged image. */
export function exportRefName(repository: string, ref: { tag: string } | { digest: string }): string {
  return "tag" in ref ? `${repository}:${ref.tag}` : `${repository}@${ref.digest}`;
}
