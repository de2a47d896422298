// The peer address of a request, recorded by the server (Bun.serve knows it; the Request
// object does not), for the login backoff per client address.
const addresses = new WeakMap<Request, string>();

export function recordClientAddress(request: Request, address: string | undefined): void {
  if (address) addresses.set(request, address);
}

export function clientAddress(request: Request): string {
  return addresses.get(request) ?? "unknown";
}
