// A page's changes and their outcome line: `act` runs one, says what was done or the API's error,
// reloads what the page shows, and rethrows (a dialog stays open with the error); `run` is the
// same for a plain button (the error shows, nothing is thrown).
import { useState } from "react";
import { message } from "./api/client";

export interface Outcome {
  ok: boolean;
  text: string;
}

export function useAction(after?: () => void) {
  const [result, setResult] = useState<Outcome | null>(null);
  const act = async (done: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
      setResult({ ok: true, text: done });
      after?.();
    } catch (e) {
      setResult({ ok: false, text: message(e) });
      throw e;
    }
  };
  const run = (done: string, call: () => Promise<unknown>): void => {
    act(done, call).catch(() => {});
  };
  return { result, setResult, act, run, fail: (e: unknown) => setResult({ ok: false, text: message(e) }) };
}
