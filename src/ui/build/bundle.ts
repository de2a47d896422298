// Bundles the web UI (src/ui/app) with Bun for the browser: one JS entry, its CSS (PatternFly's,
// with its fonts and images as files beside it), content-hashed names. Runs at build time through
// the macro in ./embedded.ts, and at first use when the server runs from sources.

/**
 * One file of the bundle, as the server sends it: base64 (a macro returns strings). Text is kept
 * gzipped (`gzipped`): what most browsers are sent, and a quarter of the binary's size for it.
 */
export interface UiAsset {
  /** Served at /static/ui/<name>. */
  name: string;
  type: string;
  body: string;
  gzipped: boolean;
}

export interface UiBundle {
  /** The entry script and stylesheet the app shell names. */
  script: string;
  styles: string[];
  assets: UiAsset[];
}

const TEXT_TYPES = /^(text\/|application\/(javascript|json)|image\/svg)/;

export async function buildUi(): Promise<UiBundle> {
  const result = await Bun.build({
    entrypoints: [`${import.meta.dir}/../app/main.tsx`],
    target: "browser",
    minify: true,
    sourcemap: "none",
    naming: { entry: "[name]-[hash].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    publicPath: "/static/ui/",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  if (!result.success) throw new Error(`web UI build failed:\n${result.logs.map(String).join("\n")}`);
  const assets: UiAsset[] = [];
  let script = "";
  const styles: string[] = [];
  for (const output of result.outputs) {
    const name = output.path.replace(/^.*\//, "");
    const type = output.type.split(";")[0]!;
    if (!TEXT_TYPES.test(type)) {
      assets.push({ name, type, body: Buffer.from(await output.arrayBuffer()).toString("base64"), gzipped: false });
      continue;
    }
    let text = await output.text();
    if (name.endsWith(".css")) text = splitDataUrls(text, assets);
    assets.push({ name, type, body: Buffer.from(Bun.gzipSync(text, { level: 9 })).toString("base64"), gzipped: true });
    if (output.kind === "entry-point" && name.endsWith(".js")) script = name;
    else if (name.endsWith(".css")) styles.push(name);
  }
  if (!script) throw new Error("web UI build produced no entry script");
  return { script, styles, assets };
}

const EXTENSIONS: Record<string, string> = { "font/woff2": "woff2", "image/svg+xml": "svg", "image/png": "png" };

/**
 * Bun's CSS bundler inlines every url() as a data: URL (PatternFly's fonts: 1.2 MB of base64 in
 * the first stylesheet). Each becomes a file of its own again, fetched only by a page that uses it.
 */
export function splitDataUrls(css: string, assets: UiAsset[]): string {
  return css.replace(/url\((["']?)data:([a-z0-9+./-]+);base64,([A-Za-z0-9+/=]+)\1\)/g, (whole, _q, type: string, data: string) => {
    const ext = EXTENSIONS[type];
    if (!ext) return whole;
    const name = `${new Bun.CryptoHasher("sha256").update(data).digest("hex").slice(0, 16)}.${ext}`;
    // Fonts are compressed already; an SVG is text.
    const svg = type === "image/svg+xml";
    const body = svg ? Buffer.from(Bun.gzipSync(Buffer.from(data, "base64"), { level: 9 })).toString("base64") : data;
    if (!assets.some((a) => a.name === name)) assets.push({ name, type, body, gzipped: svg });
    return `url(/static/ui/${name})`;
  });
}
