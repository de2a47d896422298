// Log lines go to stdout in batches: a line per request at tens of thousands of requests per
// second must not cost a write() each.

export interface Logger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
  request(method: string, path: string, status: number, bytes: number, ms: number): void;
  flush(): void;
}

export function createLogger(opts: { requests: boolean; write?: (s: string) => void }): Logger {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    write(text);
  };
  const push = (line: string) => {
    pending.push(line + "\n");
    if (pending.length >= 256) flush();
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 50);
    }
  };
  const stamp = () => new Date().toISOString();
  return {
    info: (m) => push(`${stamp()} INFO ${m}`),
    error: (m, err) => push(`${stamp()} ERROR ${m}${err ? `: ${(err as any)?.stack ?? err}` : ""}`),
    request: (method, path, status, bytes, ms) => {
      if (opts.requests) push(`${stamp()} ${method} ${path} ${status} ${bytes}B ${ms.toFixed(1)}ms`);
    },
    flush,
  };
}
