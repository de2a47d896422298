// Answers the web UI's paths: the app shell (one HTML page for every deep link; the app routes
// in the browser) and the bundle's files (content-hashed names, cached for a year, gzip when the
// browser takes it).
import { watch } from "node:fs";
import type { UiBundle } from "../build/bundle";
import { uiHeaders } from "./headers";
import { STATIC_PREFIX, uiPathOf } from "./paths";

interface Prepared {
  shell: Uint8Array;
  shellGzip: Uint8Array;
  files: Map<string, { type: string; body: Uint8Array; gzip?: Uint8Array }>;
}

let prepared: Promise<Prepared> | undefined;

/** Compiled into the binary, modules live under Bun's embedded file system. */
const FROM_SOURCES = !import.meta.dir.startsWith("/$bunfs") && !import.meta.dir.startsWith("B:/~BUN");
let watching = false;

/**
 * The bundle, loaded on first use. In the binary it is the one embedded at build time. From
 * sources (`bun run start`) it is built at the first UI request and built again after any change
 * under src/ui/app: development needs only a page reload, not a restart.
 */
function load(): Promise<Prepared> {
  if (!FROM_SOURCES) {
    prepared ??= import("./bundleFiles").then(({ UI_BUNDLE }) => prepare(UI_BUNDLE));
    return prepared;
  }
  if (!watching) {
    watching = true;
    const watcher = watch(`${import.meta.dir}/../app`, { recursive: true }, () => (prepared = undefined));
    watcher.unref?.();
  }
  prepared ??= import("../build/bundle").then(async ({ buildUi }) => prepare(await buildUi()));
  // A failed build (a syntax error being typed) is tried again at the next request.
  void prepared.catch(() => (prepared = undefined));
  return prepared;
}

export function shellHtml(bundle: UiBundle): string {
  const styles = bundle.styles.map((s) => `<link rel="stylesheet" href="${STATIC_PREFIX}${s}">`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Berth</title><link rel="icon" href="/static/img/berth-logo.svg">${styles}<script type="module" src="${STATIC_PREFIX}${bundle.script}"></script></head><body><div id="root"></div><noscript>Berth's web UI needs JavaScript; the API is at /api/v1.</noscript></body></html>`;
}

function prepare(bundle: UiBundle): Prepared {
  const enc = new TextEncoder();
  const files: Prepared["files"] = new Map();
  for (const asset of bundle.assets) {
    const stored = Buffer.from(asset.body, "base64");
    // Text comes gzipped from the build; a client that takes no gzip gets it inflated once here.
    if (asset.gzipped) files.set(asset.name, { type: asset.type, body: Bun.gunzipSync(stored), gzip: stored });
    else files.set(asset.name, { type: asset.type, body: stored });
  }
  const shell = enc.encode(shellHtml(bundle));
  return { shell, shellGzip: Bun.gzipSync(shell), files };
}

/** The web UI's answer for a GET or HEAD of one of its paths; undefined for any other request. */
export function uiResponse(request: Request, path: string): Promise<Response> | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const which = uiPathOf(path);
  if (!which) return undefined;
  return load().then((p) => {
    const gzipOk = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
    if (which.kind === "shell") {
      const headers = uiHeaders("text/html; charset=utf-8");
      headers.set("Cache-Control", "no-cache");
      return send(request, headers, p.shell, gzipOk ? p.shellGzip : undefined);
    }
    const file = p.files.get(which.name);
    if (!file) {
      const headers = uiHeaders("text/plain; charset=utf-8");
      return new Response(request.method === "HEAD" ? null : "not found\n", { status: 404, headers });
    }
    const headers = uiHeaders(file.type.startsWith("text/") ? `${file.type}; charset=utf-8` : file.type);
    headers.set("Cache-Control", "public, max-age=31536000, immutable");
    return send(request, headers, file.body, gzipOk ? file.gzip : undefined);
  });
}

function send(request: Request, headers: Headers, body: Uint8Array, gzip: Uint8Array | undefined): Response {
  headers.set("Vary", "Accept-Encoding");
  const chosen = gzip ?? body;
  if (gzip) headers.set("Content-Encoding", "gzip");
  headers.set("Content-Length", String(chosen.byteLength));
  return new Response(request.method === "HEAD" ? null : chosen, { status: 200, headers });
}
