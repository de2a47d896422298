// Which paths are the web UI's. A fixed list of prefixes, not "everything else": the UI never
// answers a path the APIs own (/v2, /api, /oauth, /csrf_token, /health, /config, /metrics), even
// one they do not serve, and a typo in a script's URL stays a 404 instead of an HTML page.

/** The app shell's deep links: each path itself and everything below it (src/ui/app/App.tsx has the same pages). */
const SHELL_PREFIXES = ["/repository", "/organization", "/user", "/superuser", "/signin", "/signup"];

/** Where the bundle's files are served. */
export const STATIC_PREFIX = "/static/ui/";

export type UiPath = { kind: "shell" } | { kind: "asset"; name: string };

export function uiPathOf(path: string): UiPath | undefined {
  if (path === "/" || path === "/index.html") return { kind: "shell" };
  if (path.startsWith(STATIC_PREFIX)) {
    const name = path.slice(STATIC_PREFIX.length);
    return /^[A-Za-z0-9._-]+$/.test(name) ? { kind: "asset", name } : undefined;
  }
  return SHELL_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)) ? { kind: "shell" } : undefined;
}
