import { createApp, createContext, type AppContext, type ContextOptions } from "./app";
import type { Config } from "./config";
import type { Logger } from "./log";
import { peerIsTrustedProxy, recordClientAddress, resolveClientAddress, TrustedProxies } from "./auth/clientAddress";
import { hasBody } from "./requestBody";

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * The response and the bytes its body puts on the wire. Blob answers declare Content-Length
 * and stream untouched. Answers without it (API v1 JSON) hold their body in memory: taking it
 * as a Blob costs what sending it would and gives its size. (A streamed body would be read
 * whole here: streamed answers must declare their length, as blobs do.)
 */
async function sized(request: Request, response: Response): Promise<{ response: Response; bytes: number }> {
  if (request.method === "HEAD" || NULL_BODY_STATUS.has(response.status)) return { response, bytes: 0 };
  const declared = response.headers.get("content-length");
  if (declared !== null) return { response, bytes: Number(declared) };
  const body = await response.blob();
  return { response: new Response(body, response), bytes: body.size };
}

export interface RunningServer {
  url: string;
  ctx: AppContext;
  stop(): Promise<void>;
}

/** Starts Berth on the configured address: Bun.serve around the Elysia app, one log line a request. */
export async function startServer(
  config: Config,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
  opts: ContextOptions = {},
): Promise<RunningServer> {
  const ctx = await createContext(config, log, env, opts);
  const app = createApp(ctx);
  const proxies = new TrustedProxies(config.trustedProxies);
  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    // A second instance on a taken port must fail loudly, not share it.
    reusePort: false,
    // Blobs stream to disk; Bun's default 128 MiB cap would refuse large layers.
    maxRequestBodySize: config.maxBodyBytes,
    // Bun's longest: it also closes a connection whose handler is still working (a commit that
    // fsyncs gigabytes). Stalled bodies are cut off sooner, by bodyStallSeconds (60 s).
    idleTimeout: 255,
    async fetch(request, server) {
      const started = performance.now();
      const peer = server.requestIP(request)?.address;
      recordClientAddress(request, resolveClientAddress(peer, request.headers.get("x-forwarded-for"), proxies), peerIsTrustedProxy(peer, proxies));
      const { response, bytes } = await sized(request, await app.handle(request));
      // A body nobody read would be drained (or waited for, a byte at a time) to keep the
      // connection: close it instead.
      if (!request.bodyUsed && hasBody(request.headers)) response.headers.set("Connection", "close");
      const path = request.url.slice(request.url.indexOf("/", 8));
      log.request(request.method, path, response.status, bytes, performance.now() - started);
      return response;
    },
    error(err) {
      log.error("unhandled request error", err);
      return new Response("internal server error", { status: 500 });
    },
  });
  await ctx.stores.uploads.sweep();
  const sweeper = setInterval(() => {
    ctx.stores.uploads.sweep().catch((e) => log.error("upload sweep failed", e));
  }, 3600_000);
  sweeper.unref();
  // Deliveries queued before a restart go out now.
  ctx.notify.start(server.port!);
  ctx.lifecycle.start();
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
  return {
    url,
    ctx,
    async stop() {
      clearInterval(sweeper);
      await server.stop(true);
      // A pass in progress finishes before the store closes.
      await ctx.lifecycle.stop();
      // After the last request (which may have queued deliveries), before the store closes.
      await ctx.notify.worker.stop();
      ctx.stores.close();
      log.flush();
    },
  };
}
