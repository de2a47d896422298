// A webhook receiver on loopback for notification tests: records each JSON body by path and
// answers 200.
export class WebhookReceiver {
  readonly hits = new Map<string, Record<string, unknown>[]>();
  private readonly server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      this.hits.set(path, [...(this.hits.get(path) ?? []), (await req.json()) as Record<string, unknown>]);
      return new Response(null, { status: 200 });
    },
  });
  /** A fresh hook URL and the path its bodies are recorded under. */
  hook(): { url: string; path: string } {
    const path = `/hook/${crypto.randomUUID()}`;
    return { url: `http://127.0.0.1:${this.server.port}${path}`, path };
  }
  of(path: string) {
    return this.hits.get(path) ?? [];
  }
  stop() {
    this.server.stop(true);
  }
}
