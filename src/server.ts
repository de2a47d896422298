import { createHandler, createContext, type AppContext, type ContextOptions } from "./app";
import type { Config } from "./config";
import type { Logger } from "./log";
import { peerIsTrustedProxy, recordClientAddress, resolveClientAddress, TrustedProxies } from "./auth/clientAddress";
import { hasBody } from "./requestBody";
import { isValidHost } from "./auth/externalUrl";
import { httpsLocation, Listener, tlsSource, type PemPair, type TlsSource } from "./tls";
import { attachNote, requestIdFor } from "./requestNotes";
import { isUploadRequest } from "./metrics/requestMetrics";
import { listenAddress, metricsAnswer } from "./metrics/endpoint";

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * The response and the bytes its body puts on the wire. Blob answers declare Content-Length
 * and stream untouched. Answers without it (API v1 JSON) hold their body in memory: taking it
 * as a Blob costs what sending it would and gives its size. (A streamed body would be read
 * whole here: streamed answers must declare their length, as blobs do.)
 */
function sized(request: Request, response: Response): Sized | Promise<Sized> {
  if (request.method === "HEAD" || NULL_BODY_STATUS.has(response.status)) return { response, bytes: 0 };
  const declared = response.headers.get("content-length");
  if (declared !== null) return { response, bytes: Number(declared) };
  return response.blob().then((body) => ({ response: new Response(body, response), bytes: body.size }));
}

type Sized = { response: Response; bytes: number };

export interface RunningServer {
  url: string;
  /** With `metricsAddress`: where /metrics is served (the port is the bound one). */
  metricsUrl?: string;
  ctx: AppContext;
  /**
   * Takes the certificate again (SIGHUP): tlsCert/tlsKey re-read, or with `tls: auto` the server
   * certificate renewed when due. New connections get it; connections in flight keep theirs.
   * Resolves to a line for the log; rejects (CertificateError) when the new one does not load,
   * and the old one goes on serving.
   */
  reloadTls(): Promise<string>;
  /**
   * Stops: no new connections; requests in flight get `graceMs` to finish, then their
   * connections are closed (an upload cut off keeps what arrived and can resume); then the
   * background work stops, the audit log is flushed and the database closed.
   */
  stop(graceMs?: number): Promise<StopReport>;
}

export interface StopReport {
  /** Requests still in flight when the grace time ran out (their connections were closed). */
  cutOff: number;
}

// After the connections are closed, handlers see their bodies fail and finish within moments;
// one stuck on something else must not keep the process from exiting.
const HANDLER_WAIT_MS = 10_000;
// The automatic certificate is checked this often while the server runs (months on end).
const RENEWAL_CHECK_MS = 12 * 3600_000;

/** Starts Berth on the configured address: Bun.serve around the Elysia app, one log line a request. */
export async function startServer(
  config: Config,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
  opts: ContextOptions = {},
): Promise<RunningServer> {
  const ctx = await createContext(config, log, env, opts);
  try {
    return await serve(ctx, config, log);
  } catch (e) {
    await ctx.stores.close();
    throw e;
  }
}

async function serve(ctx: AppContext, config: Config, log: Logger): Promise<RunningServer> {
  const app = createHandler(ctx);
  const metrics = ctx.metrics.requests;
  const proxies = new TrustedProxies(config.trustedProxies);
  const tls = tlsSource(config);
  let served = tls && (await loadTls(tls, log));
  let handlers = 0;
  let stopping = false;
  const listener = Listener.open(
    {
      hostname: config.host,
      port: config.port,
      // Blobs stream to disk; Bun's default 128 MiB cap would refuse large layers.
      maxRequestBodySize: config.maxBodyBytes,
      // Bun's longest: it also closes a connection whose handler is still working (a commit that
      // fsyncs gigabytes). Stalled bodies are cut off sooner, by bodyStallSeconds (60 s).
      idleTimeout: 255,
      // Not async: a pull answered synchronously (the /v2 fast path) goes back without a promise.
      fetch(request, server) {
        handlers++;
        const started = performance.now();
        const method = request.method;
        const path = request.url.slice(request.url.indexOf("/", 8));
        const endUpload = isUploadRequest(method, path) ? metrics.uploadStarted() : undefined;
        const done = () => {
          endUpload?.();
          handlers--;
        };
        try {
          const peer = server.requestIP(request)?.address;
          const address = resolveClientAddress(peer, proxies.empty ? null : request.headers.get("x-forwarded-for"), proxies);
          recordClientAddress(request, address, peerIsTrustedProxy(peer, proxies));
          const note: { id: string; caller?: string } = { id: requestIdFor(request.headers.get("x-request-id")) };
          attachNote(request, note);
          const bodied = hasBody(request.headers);
          const bytesIn = bodied ? Number(request.headers.get("content-length")) || 0 : 0;
          /** The answer as sent: headers of ours, counted and logged. */
          const finish = ({ response, bytes }: Sized): Response => {
            // A body nobody read would be drained (or waited for, a byte at a time) to keep the
            // connection: close it instead. While stopping, no connection is kept for another request.
            if (stopping || (bodied && !request.bodyUsed)) response.headers.set("Connection", "close");
            response.headers.set("X-Request-ID", note.id);
            const ms = performance.now() - started;
            metrics.record({ path, method, status: response.status, seconds: ms / 1000, bytesIn, bytesOut: bytes });
            log.request({ method, path, status: response.status, bytes, ms, id: note.id, caller: note.caller, address });
            return response;
          };
          const handled = app.handle(request);
          const answered = handled instanceof Promise ? handled.then((response) => sized(request, response)) : sized(request, handled);
          if (!(answered instanceof Promise)) {
            done();
            return finish(answered);
          }
          return answered.then(finish).finally(done);
        } catch (err) {
          done();
          throw err;
        }
      },
      error(err) {
        log.error("unhandled request error", err);
        return new Response("internal server error", { status: 500 });
      },
    },
    served,
  );
  const redirect = served && config.tlsRedirectPort !== undefined ? redirectServer(config, listener.port) : undefined;
  const metricsServer = config.metricsAddress === undefined ? undefined : metricsListener(ctx, config.metricsAddress, config.metricsToken);
  await ctx.stores.uploads.sweep();
  // Collection passes (which also sweep upload sessions) every gcIntervalSeconds.
  ctx.lifecycle.start();
  // Deliveries queued before a restart go out now.
  ctx.notify.start(listener.port);
  // Mirrors due (and syncs the last process was cut off in) start now; a read-only registry
  // syncs nothing (Quay's mirror workers do not run in that state either).
  if (!ctx.registry.readOnly) await ctx.mirrors.worker.start();
  if (tls) for (const note of tls.startNotes(listener.port)) log.info(note);

  async function reloadTls(): Promise<string> {
    if (!tls || !served) return "TLS is off: no certificate to reload";
    const next = await loadTls(tls, log);
    if (next.cert === served.cert && next.key === served.key) return "TLS: the certificate is unchanged";
    served = next;
    await listener.reload(next);
    return "TLS: new connections get the new certificate; connections in flight keep theirs";
  }
  // With `tls: auto` nobody renews by hand: the server checks twice a day.
  const renewal =
    tls?.mode === "auto"
      ? setInterval(() => {
          void reloadTls().then(
            (line) => line.includes("new certificate") && log.info(line),
            (e) => log.error("TLS renewal failed; the current certificate goes on serving", e),
          );
        }, RENEWAL_CHECK_MS)
      : undefined;
  renewal?.unref();

  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = `${served ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${listener.port}`;
  return {
    url,
    metricsUrl: metricsServer && `http://${metricsServer.hostname?.includes(":") ? `[${metricsServer.hostname}]` : metricsServer.hostname}:${metricsServer.port}/metrics`,
    ctx,
    reloadTls,
    async stop(graceMs = 0) {
      stopping = true;
      clearInterval(renewal);
      void redirect?.stop(true);
      void metricsServer?.stop(true);
      let cutOff = 0;
      const drained = listener.stop(false);
      if (!(await finishesWithin(drained, graceMs))) {
        cutOff = listener.pendingRequests;
        log.info(`stop: ${cutOff} request(s) still in flight after ${graceMs / 1000} s: closing their connections`);
        await listener.stop(true);
      }
      // Handlers whose connections closed record what their uploads received before the store closes.
      const deadline = Date.now() + HANDLER_WAIT_MS;
      while (handlers > 0 && Date.now() < deadline) await Bun.sleep(5);
      // Syncs in progress stop between two steps; they run again (resuming) at the next start.
      await ctx.mirrors.worker.stop();
      // A lifecycle pass in progress ends at its next batch before the store closes.
      await ctx.lifecycle.stop();
      // Pulls of cached tags not written yet (their times order quota eviction).
      await ctx.proxyCaches.stop();
      // The labels of the last pushes (read after their answers; they may queue deliveries).
      await ctx.pushLabels.settled();
      // After the last request (which may have queued deliveries), before the store closes.
      await ctx.notify.worker.stop();
      await ctx.stores.close();
      log.flush();
      return { cutOff };
    },
  };
}

async function loadTls(tls: TlsSource, log: Logger): Promise<PemPair> {
  const loaded = await tls.load();
  for (const note of loaded.notes) log.info(note);
  return loaded.served;
}

async function finishesWithin(done: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms <= 0) return false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([done.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `tlsRedirectPort`: plain HTTP that sends every request to the same path over HTTPS. */
function redirectServer(config: Config, tlsPort: number) {
  return Bun.serve({
    hostname: config.host,
    port: config.tlsRedirectPort,
    reusePort: false,
    maxRequestBodySize: 1024 * 1024,
    fetch(request) {
      const host = request.headers.get("host");
      // As on the TLS port: an invalid Host is a 400 (Bun built request.url from it).
      if (host !== null && !isValidHost(host)) return new Response("invalid Host header\n", { status: 400 });
      const path = request.url.slice(request.url.indexOf("/", 8));
      const location = httpsLocation(path, host ?? undefined, tlsPort, config.publicUrl);
      // 308 keeps the method and body; the body itself is never read here.
      const headers: Record<string, string> = { Location: location };
      if (hasBody(request.headers)) headers.Connection = "close";
      return new Response(null, { status: 308, headers });
    },
  });
}

/** `metricsAddress`: plain HTTP serving /metrics only (behind metricsToken when it is set). */
function metricsListener(ctx: AppContext, address: string, token: string | undefined) {
  return Bun.serve({
    ...listenAddress(address),
    reusePort: false,
    maxRequestBodySize: 64 * 1024,
    fetch(request) {
      const path = request.url.slice(request.url.indexOf("/", 8));
      if (path !== "/metrics") return new Response("not found: this port serves /metrics only\n", { status: 404 });
      return metricsAnswer(ctx.metrics, request, token);
    },
  });
}
