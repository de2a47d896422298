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

export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  const json = opts.format === "json";
  const least = SEVERITY[opts.level ?? "info"];
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
          `{"time":"${stamp()}","level":"${level}","msg":"request","request_id":"${r.id}","method":${JSON.stringify(r.method)},` +
            `"path":${JSON.stringify(path)},"status":${r.status},"bytes":${r.bytes},"ms":${ms}` +
            `${r.caller === undefined ? "" : `,"user":${JSON.stringify(r.caller)}`}${r.address === undefined ? "" : `,"address":${JSON.stringify(r.address)}`}}`,
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
