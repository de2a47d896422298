// Where an upstream repository lives: Quay's `external_reference` ("quay.io/org/repo",
// "registry.local:5000/ns/name", "docker.io/library/alpine"). Pure: no I/O.
import { isValidRepoName } from "../oci";

export interface UpstreamReference {
  /** host[:port] as written (the one host credentials are sent to). */
  host: string;
  /** The repository path on that host. */
  repository: string;
}

/** Docker Hub's registry answers at another name than the one images are written with. */
const HOST_ALIASES: Record<string, string> = { "docker.io": "registry-1.docker.io", "index.docker.io": "registry-1.docker.io" };

/** The reference's host and repository, or why it is not one (a tag or digest is not allowed: tags come from the rules). */
export function parseUpstreamReference(text: string): UpstreamReference | { error: string } {
  const t = text.trim();
  const slash = t.indexOf("/");
  if (slash <= 0) return { error: "the external reference must be host/repository" };
  const host = t.slice(0, slash).toLowerCase();
  const repository = t.slice(slash + 1);
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d{1,5})?$/.test(host) || !(host.includes(".") || host.includes(":") || host.startsWith("localhost")))
    return { error: `"${host}" is not a registry host` };
  if (/[@:]/.test(repository) || !isValidRepoName(repository)) return { error: `"${repository}" is not a repository name (give no tag or digest)` };
  const hub = HOST_ALIASES[host];
  return { host: hub ?? host, repository: hub && !repository.includes("/") ? `library/${repository}` : repository };
}
