import { expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stdoutSink } from "../../../src/logSink";
import { tempDir } from "../../support/server";

test("text handed over while a write is in flight is written after it, in order, and drain waits for all", async () => {
  const dir = tempDir();
  const path = join(dir, "log");
  const fd = openSync(path, "w");
  try {
    const sink = stdoutSink(fd);
    let expected = "";
    for (let i = 0; i < 2000; i++) {
      const line = `line ${i} ${"é".repeat(i % 7)}\n`;
      expected += line;
      sink.write(line);
      if (i % 500 === 0) await Bun.sleep(1);
    }
    await sink.drain();
    expect(readFileSync(path, "utf8")).toBe(expected);
    await sink.drain(); // nothing pending: resolves at once
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("through a pipe whose reader is slow, every line arrives in order before the process exits", async () => {
  const script = `
    import { stdoutSink } from ${JSON.stringify(join(import.meta.dir, "../../../src/logSink.ts"))};
    const sink = stdoutSink();
    for (let i = 0; i < 20000; i++) sink.write("line " + i + " " + "x".repeat(100) + "\\n");
    await sink.drain();
    process.exit(0);
  `;
  const dir = tempDir();
  const file = join(dir, "writer.ts");
  await Bun.write(file, script);
  try {
    const child = Bun.spawn([process.execPath, file], { stdout: "pipe", stderr: "inherit" });
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const decoder = new TextDecoder();
    await Bun.sleep(300); // the pipe fills while nobody reads
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(await child.exited).toBe(0);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(20000);
    lines.forEach((l, i) => {
      if (!l.startsWith(`line ${i} `)) throw new Error(`line ${i} is ${l.slice(0, 30)}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
