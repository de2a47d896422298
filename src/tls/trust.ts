// What berth prints with `tls: auto` so clients trust its local CA: the exact commands for Docker
// (/etc/docker/certs.d/<host:port>/ca.crt), podman, skopeo and buildah
// (/etc/containers/certs.d/<host:port>/ca.crt, or ~/.config/containers/certs.d rootless) and the
// system store. Pure.
import { referenceHost } from "./hosts";

export interface TrustSettings {
  /** Absolute path of the CA certificate. */
  caPath: string;
  /** The names and addresses clients may use. */
  hosts: string[];
  port: number;
  /** Tells this CA's file apart in the system store. */
  label: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function trustInstructions(s: TrustSettings): string {
  const refs = s.hosts.map((h) => quote(referenceHost(h, s.port))).join(" ");
  const ca = quote(s.caPath);
  const forEach = (dir: string) => `for h in ${refs}; do sudo mkdir -p ${dir}/$h && sudo cp ${ca} ${dir}/$h/ca.crt; done`;
  const file = `berth-${s.label}.crt`;
  return [
    `Clients must trust the local CA ${s.caPath} (\`berth tls ca\` prints it; copy it to each client machine first):`,
    `  Docker:`,
    `    ${forEach("/etc/docker/certs.d")}`,
    `  podman, skopeo, buildah (rootless: ~/.config/containers/certs.d, without sudo):`,
    `    ${forEach("/etc/containers/certs.d")}`,
    `  System store, Debian and Ubuntu (curl, browsers; trusts this CA for every site):`,
    `    sudo cp ${ca} /usr/local/share/ca-certificates/${file} && sudo update-ca-certificates`,
    `  System store, Fedora and RHEL:`,
    `    sudo cp ${ca} /etc/pki/ca-trust/source/anchors/${file} && sudo update-ca-trust`,
  ].join("\n");
}
