// The optional plain-HTTP port (`tlsRedirectPort`) that sends every request to HTTPS. Pure.

/**
 * Where a plain-HTTP request goes on HTTPS: the public URL's origin when it is https, else the
 * host the client asked for (already checked against the Host grammar by the caller, or
 * undefined) on the TLS port. `pathAndQuery` starts with "/".
 */
export function httpsLocation(pathAndQuery: string, checkedHost: string | undefined, tlsPort: number, publicUrl?: string): string {
  if (publicUrl?.startsWith("https://")) return `${new URL(publicUrl).origin}${pathAndQuery}`;
  const host = checkedHost ?? "localhost";
  // Drop the port the client used (the redirect port): [v6]:port, name:port.
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return `https://${name}${tlsPort === 443 ? "" : `:${tlsPort}`}${pathAndQuery}`;
}
