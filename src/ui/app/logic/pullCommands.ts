// The pull commands a tag or digest shows, with the registry's host as /config names it.
export function pullCommands(host: string, repository: string, ref: string): { docker: string; podman: string } {
  const target = ref.startsWith("sha256:") ? `${host}/${repository}@${ref}` : `${host}/${repository}:${ref}`;
  return { docker: `docker pull ${target}`, podman: `podman pull ${target}` };
}
