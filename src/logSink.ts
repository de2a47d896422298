// Where log text goes by default: standard output, written off the event loop. A write to a
// file or pipe can wait (a busy disk, a slow reader: 0.1–0.5 ms per 64 KiB was measured here
// with other work on the disk, nearly all of it waiting, not CPU); requests must not wait with it.
// One write is in flight at a time, so lines keep their order; text logged meanwhile goes in the
// next. drain() resolves when everything handed over is written (the server's stop awaits it).
import { write as fsWrite } from "node:fs";

export interface LogSink {
  write(text: string): void;
  drain(): Promise<void>;
}

/** Past this much text waiting behind a slow write, writes are synchronous: memory stays bounded. */
const MAX_WAITING = 8 * 1024 * 1024;

export function stdoutSink(fd = 1): LogSink {
  let waiting = "";
  let inFlight = false;
  let drained: (() => void)[] = [];
  const settle = () => {
    for (const resolve of drained) resolve();
    drained = [];
  };
  const send = (bytes: Buffer) => {
    inFlight = true;
    fsWrite(fd, bytes, 0, bytes.length, null, (err, written) => {
      inFlight = false;
      // A non-blocking pipe that is full (EAGAIN), or any other failure: Bun's own stdout writer
      // queues and retries. A short write (pipes) sends the rest first.
      if (err) process.stdout.write(bytes);
      else if (written < bytes.length) return send(bytes.subarray(written));
      pump();
    });
  };
  const pump = () => {
    if (inFlight) return;
    if (waiting.length === 0) return settle();
    const text = waiting;
    waiting = "";
    send(Buffer.from(text));
  };
  return {
    write(text) {
      // Far behind (the disk stalls): write at once rather than hold unbounded text. Only then
      // may these lines land before the ones of the write in flight.
      if (waiting.length + text.length > MAX_WAITING) {
        process.stdout.write(waiting + text);
        waiting = "";
        return;
      }
      waiting += text;
      pump();
    },
    drain() {
      if (!inFlight && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => drained.push(resolve));
    },
  };
}
