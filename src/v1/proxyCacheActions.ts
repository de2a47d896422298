// What API v1's proxycache routes ask beyond the store (src/proxy/index.ts provides it; v1 does
// not import the proxy module).
export interface ProxyCacheActions {
  /** Why `upstreamRegistry` cannot be cached, or undefined. */
  checkUpstream(upstreamRegistry: string): string | undefined;
  /** Quay's validation: "valid", "anonymous", or a throw when the login fails. */
  validate(c: { upstreamRegistry: string; insecure: boolean; username?: string | null; password?: string | null }): Promise<"valid" | "anonymous">;
}
