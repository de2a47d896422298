// What a modal that runs one action shares (ConfirmButton, FormModalButton): open or not, busy
// while the action runs, and the action's error shown in place; success closes it.
import { useState } from "react";
import { message } from "../api/client";

export function useModalAction(action: () => Promise<unknown>) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
      setOpen(false);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  return { open, setOpen, busy, error, setError, run };
}
