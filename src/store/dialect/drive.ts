// The two ways to drive a store body (./program.ts): step by step in one synchronous run (SQLite),
// or awaiting each step (PostgreSQL). A query that fails is thrown into the body at its `yield`,
// so a body's try/catch sees database errors on both dialects.
import type { Program, Step } from "./program";

export function driveSync<T>(program: Program<T>, exec: (step: Step) => unknown): T {
  let next = program.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = exec(next.value);
    } catch (e) {
      next = program.throw(e);
      continue;
    }
    next = program.next(value);
  }
  return next.value;
}

export async function driveAsync<T>(program: Program<T>, exec: (step: Step) => Promise<unknown>): Promise<T> {
  let next = program.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await exec(next.value);
    } catch (e) {
      next = program.throw(e);
      continue;
    }
    next = program.next(value);
  }
  return next.value;
}
