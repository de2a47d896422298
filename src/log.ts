// Log lines go to stdout in batches: a line per request at tens of thousands of requests per
// second must not cost a write() each.
//
// Two formats (`logFormat`): text, one readable line per event; json, one object per line with
// `time`, `level`, `msg` and, for requests, the request's fields. What a request line holds is
// chosen here, never by a caller: method, the path with secret-looking query values redacted,
// status, bytes, milliseconds, the request id, the caller's name and address. Headers (and with
// them Authorization and cookies) and bodies are never written.
import { redactedPath } from "./logRedaction";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One request, as the server saw it when it answered. */
export interface RequestLine {
  method: string;
  /** Path and query as received; the logger redacts the query. */
  path: string;
  status: number;
  bytes: number;
  ms: number;
  /** The X-Request-ID echoed to the client. */
  id: string;
  /** The user, robot or token subject the request was made as, when one was established. */
  caller?: string;
  /** The client's address (after trusted proxies). */
  address?: string;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
  request(line: RequestLine): void;
  flush(): void;
}

export interface LoggerOptions {
  /** Whether request lines are written at all (`logRequests`). */
  requests: boolean;
  format?: LogFormat;
  /** The least severe level written (default info). */
  level?: LogLevel;
  write?: (s: string) => void;
}

// What JSON.stringify would escape in a string: quotes, backslashes, control characters and lone
// surrogates. Paths, names and addresses almost never hold any, and then need only quotes.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

export function createLogger(opts: LoggerOptions): Logger {
  // Synchronous: Bun's asynchronous fs.write on a file was measured to do the write on the calling
  // thread anyway (and slower than a plain write), so batching is what keeps the cost down.
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const json = opts.format === "json";
  const least = SEVERITY[opts.level ?? "info"];
  // One string, appended to (cheaper than an array joined at flush); written at 64 KiB or after 50 ms.
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending;
    pending = "";
    write(text);
  };
  const push = (line: string) => {
    pending += line + "\n";
    if (pending.length >= 65536) flush();
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 50);
    }
  };
  // Tens of thousands of lines a second share their millisecond: the time is formatted once per ms.
  let stampMs = 0;
  let stampText = "";
  const stamp = () => {
    const now = Date.now();
    if (now !== stampMs) {
      stampMs = now;
      stampText = new Date(now).toISOString();
    }
    return stampText;
  };
  const event = (level: LogLevel, message: string, err?: unknown) => {
    if (SEVERITY[level] < least) return;
    const detail = err === undefined ? undefined : String((err as any)?.stack ?? err);
    if (json) {
      push(`{"time":"${stamp()}","level":"${level}","msg":${JSON.stringify(message)}${detail === undefined ? "" : `,"error":${JSON.stringify(detail)}`}}`);
    } else {
      push(`${stamp()} ${level.toUpperCase()} ${message}${detail === undefined ? "" : `: ${detail}`}`);
    }
  };
  const requestLevel = (status: number): LogLevel => (status >= 500 ? "error" : "info");
  return {
    debug: (m) => event("debug", m),
    info: (m) => event("info", m),
    warn: (m) => event("warn", m),
    error: (m, err) => event("error", m, err),
    request: (r) => {
      if (!opts.requests) return;
      const level = requestLevel(r.status);
      if (SEVERITY[level] < least) return;
      const path = redactedPath(r.path);
      const ms = Math.round(r.ms * 100) / 100;
      if (json) {
        // Built by hand (a line per request): numbers and the id's checked charset need no
        // escaping, the path, method and names go through JSON.stringify.
        push(
          `{"time":"${stamp()}","level":"${level}","msg":"request","request_id":"${r.id}","method":${jsonString(r.method)},` +
            `"path":${jsonString(path)},"status":${r.status},"bytes":${r.bytes},"ms":${ms}` +
            `${r.caller === undefined ? "" : `,"user":${jsonString(r.caller)}`}${r.address === undefined ? "" : `,"address":${jsonString(r.address)}`}}`,
        );
      } else {
        push(
          `${stamp()} ${level.toUpperCase()} ${r.method} ${path} ${r.status} ${r.bytes}B ${ms.toFixed(1)}ms id=${r.id}` +
            `${r.caller === undefined ? "" : ` user=${r.caller}`}${r.address === undefined ? "" : ` addr=${r.address}`}`,
        );
      }
    },
    flush,
  };
}
