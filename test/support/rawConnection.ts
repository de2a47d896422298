// A hand-driven HTTP/1.1 connection for tests of what fetch cannot do: announce a body and send
// only part of it, send it a byte at a time, or send nothing at all, then watch whether the
// server answers and whether it closes the connection.
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

export interface RawConnection {
  write(data: string | Uint8Array): void;
  /** The first response, once its head and its Content-Length worth of body have arrived. */
  response(timeoutMs?: number): Promise<RawResponse>;
  /** Resolves when the server closes the connection, or rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<void>;
  isClosed(): boolean;
  end(): void;
}

function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function parse(buffer: Buffer): RawResponse | undefined {
  const split = buffer.indexOf("\r\n\r\n");
  if (split < 0) return undefined;
  const [statusLine, ...lines] = buffer.subarray(0, split).toString("latin1").split("\r\n");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const body = buffer.subarray(split + 4);
  if (body.length < Number(headers.get("content-length") ?? 0)) return undefined;
  return { status: Number(statusLine!.split(" ")[1]), headers, body: body.toString("utf8") };
}

/**
 * Opens a connection to `base` and sends `head` (request line and headers). `localAddress` (a
 * loopback address such as 127.0.0.2) makes the request come from another client address.
 */
export async function openRaw(base: string, head: string[], opts: { localAddress?: string } = {}): Promise<RawConnection> {
  const url = new URL(base);
  let received = Buffer.alloc(0);
  let isClosed = false;
  let onData = () => {};
  let onClose = () => {};
  const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: opts.localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    onData();
  });
  socket.on("close", () => {
    isClosed = true;
    onData();
    onClose();
  });
  socket.write(`${[...head, `Host: ${url.host}`].join("\r\n")}\r\n\r\n`);
  return {
    write: (data) => {
      if (!isClosed) socket.write(data);
    },
    response: (timeoutMs = 5000) =>
      within(
        new Promise<RawResponse>((resolve, reject) => {
          const check = () => {
            const parsed = parse(received);
            if (parsed) resolve(parsed);
            else if (isClosed) reject(new Error(`closed without a response: ${JSON.stringify(received.toString("latin1"))}`));
          };
          onData = check;
          check();
        }),
        timeoutMs,
        "response",
      ),
    closed: (timeoutMs = 5000) =>
      within(
        new Promise<void>((resolve) => {
          if (isClosed) resolve();
          else onClose = resolve;
        }),
        timeoutMs,
        "close",
      ),
    isClosed: () => isClosed,
    end: () => socket.destroy(),
  };
}
