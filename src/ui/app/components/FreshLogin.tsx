// Quay's fresh_login_required: some account changes need the password again. The API client asks
// here (api.onFreshLogin), the user types the password, POST /api/v1/signin/verify renews the
// login, and the call that needed it runs again.
import { Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core";
import { useEffect, useRef, useState } from "react";
import { api, message } from "../api/client";
import { TextField } from "./Field";
import { ActionResult } from "./Status";

export function FreshLoginPrompt() {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const settle = useRef<((ok: boolean) => void) | null>(null);
  useEffect(() => {
    api.onFreshLogin = () =>
      new Promise<boolean>((resolve) => {
        settle.current = resolve;
        setPassword("");
        setError(null);
        setOpen(true);
      });
    return () => {
      api.onFreshLogin = undefined;
    };
  }, []);
  const finish = (ok: boolean) => {
    setOpen(false);
    settle.current?.(ok);
    settle.current = null;
  };
  const verify = async (e?: { preventDefault(): void }) => {
    e?.preventDefault();
    try {
      await api.call("POST", "/api/v1/signin/verify", { password }, true);
      finish(true);
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <Modal isOpen={open} onClose={() => finish(false)} variant="small" aria-labelledby="fresh-login-title">
      <ModalHeader title="Please verify your password" labelId="fresh-login-title" description="This change needs a recent sign-in." />
      <ModalBody>
        <Form onSubmit={verify}>
          <TextField label="Current password" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
        </Form>
        <ActionResult result={error ? { ok: false, text: error } : null} />
      </ModalBody>
      <ModalFooter>
        <Button onClick={() => verify()}>Verify</Button>
        <Button variant="link" onClick={() => finish(false)}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
