// The listening socket, and how it takes a new certificate without dropping a connection.
//
// Bun.serve cannot swap its certificate (server.reload() ignores `tls`: oven-sh/bun#43815). A
// reload therefore hands the port over: a second server with the new certificate binds the same
// address (SO_REUSEPORT), then the first stops listening and finishes what it is serving. New
// connections get the new certificate from that moment; connections in flight (a pull of many
// GiB) run to their end on the old one.
//
// What a reload can still drop: a connection the kernel queued to the old listener but the event
// loop had not accepted yet when that listener closes is reset (a SO_REUSEPORT property; Linux's
// net.ipv4.tcp_migrate_req=1 hands such connections to the new listener instead). The old
// listener therefore closes a moment after the new one binds, on a later turn of the event loop,
// when its queue has been drained, not right after the bind that held the loop for milliseconds.
//
// Sharing the port needs reusePort on every server of it, which would also let a second berth
// bind the same port and silently share it. So the first bind is preceded by a probe without
// reusePort: a port already held, by anyone, fails loudly as before.
import type { Server } from "bun";
import type { PemPair } from "./localCa";

/** How long a replaced listener keeps listening beside its successor. */
const RETIRE_AFTER_MS = 250;

export type ServeOptions = Omit<Bun.Serve.Options<undefined, string>, "tls" | "port" | "hostname" | "reusePort"> & { hostname: string; port: number };

export class Listener {
  private current: Server<undefined>;
  /** Servers that handed the port over and are finishing their connections. */
  private readonly retiring = new Set<Server<undefined>>();
  /** Old listeners still listening beside their successor, and what resolves their reload. */
  private readonly retireTimers = new Map<ReturnType<typeof setTimeout>, () => void>();

  private constructor(
    private readonly options: ServeOptions,
    private readonly shared: boolean,
    tls: PemPair | undefined,
  ) {
    this.current = this.bind(options.port, tls);
  }

  /**
   * Starts listening. `tls` undefined serves plain HTTP (the port cannot be handed over then:
   * nothing to reload). Throws EADDRINUSE when the port is taken.
   */
  static open(options: ServeOptions, tls: PemPair | undefined): Listener {
    if (tls && options.port !== 0) {
      // The probe: binding without reusePort fails when anyone holds the port.
      void Bun.serve({ ...options, reusePort: false, fetch: () => new Response(null) } as Bun.Serve.Options<undefined, string>).stop(true);
    }
    return new Listener(options, tls !== undefined, tls);
  }

  get port(): number {
    return this.current.port!;
  }

  /** Every request being answered, by the current server and the retiring ones. */
  get pendingRequests(): number {
    let n = this.current.pendingRequests;
    for (const s of this.retiring) n += s.pendingRequests;
    return n;
  }

  /**
   * Serves new connections with `tls`; connections in flight finish on the old certificate.
   * Resolves once the old listener has stopped listening: from then on every new connection
   * gets the new certificate.
   */
  reload(tls: PemPair): Promise<void> {
    if (!this.shared) throw new Error("a plain HTTP listener has no certificate to reload");
    const next = this.bind(this.current.port!, tls);
    const old = this.current;
    this.current = next;
    this.retiring.add(old);
    return new Promise((resolve) => {
      const retire = setTimeout(() => {
        this.retireTimers.delete(retire);
        void old.stop(false).finally(() => this.retiring.delete(old));
        resolve();
      }, RETIRE_AFTER_MS);
      this.retireTimers.set(retire, resolve);
    });
  }

  /**
   * Stops listening at once; resolves when the requests in flight have finished. Idle kept-alive
   * connections are closed. `stop(true)` closes every connection now.
   */
  async stop(closeActiveConnections = false): Promise<void> {
    for (const [timer, resolve] of this.retireTimers) {
      clearTimeout(timer);
      resolve();
    }
    this.retireTimers.clear();
    await Promise.all([this.current, ...this.retiring].map((s) => s.stop(closeActiveConnections)));
  }

  private bind(port: number, tls: PemPair | undefined): Server<undefined> {
    return Bun.serve({
      ...this.options,
      port,
      reusePort: this.shared,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    } as Bun.Serve.Options<undefined, string>);
  }
}
