// Which proxy a connection to an upstream goes through (Quay's external_registry_config.proxy,
// the http_proxy / https_proxy / no_proxy skopeo is run with). Pure: no I/O.

export interface UpstreamProxy {
  /** For http:// upstreams. */
  http?: string | null;
  /** For https:// upstreams. */
  https?: string | null;
  /** Comma-separated hosts (a domain covers its subdomains; `*` every host) reached directly. */
  noProxy?: string | null;
}

/** Why `value` cannot be a proxy address (an http(s) URL of a host, nothing more), or undefined. */
export function invalidProxyUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `"${value}" is not an http:// or https:// URL`;
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) return `"${value}" has more than a host`;
  return undefined;
}

function bypassed(hostname: string, noProxy: string | null | undefined): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  for (const raw of (noProxy ?? "").split(",")) {
    const entry = raw.trim().toLowerCase().replace(/^\*?\./, "").replace(/:\d+$/, "");
    if (entry === "") continue;
    if (entry === "*" || host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy for `target`, or undefined: none set for its scheme, or no_proxy names its host. */
export function proxyFor(target: URL, proxy: UpstreamProxy | undefined): URL | undefined {
  const value = target.protocol === "https:" ? proxy?.https : proxy?.http;
  if (!value || invalidProxyUrl(value) || bypassed(target.hostname, proxy?.noProxy)) return undefined;
  return new URL(value);
}
