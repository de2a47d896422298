// A button opening a small form in a modal (create a repository, a team, a robot, …). The form's
// fields are the children; submit runs the action and closes on success, or shows the API's error.
import { Button, Form, Modal, ModalBody, ModalFooter, ModalHeader, type ButtonProps } from "@patternfly/react-core";
import { useId, type ReactNode } from "react";
import { ActionResult } from "./Status";
import { useModalAction } from "./useModalAction";

export function FormModalButton(props: {
  label: string;
  title: string;
  submitLabel?: string;
  variant?: ButtonProps["variant"];
  onOpen?: () => void;
  onSubmit: () => Promise<unknown>;
  children: ReactNode;
  isDisabled?: boolean;
}) {
  const { open, setOpen, busy, error, setError, run } = useModalAction(props.onSubmit);
  const titleId = useId();
  const submit = (e?: { preventDefault(): void }) => {
    e?.preventDefault();
    return run();
  };
  return (
    <>
      <Button
        variant={props.variant ?? "primary"}
        isDisabled={props.isDisabled}
        onClick={() => {
          props.onOpen?.();
          setError(null);
          setOpen(true);
        }}
      >
        {props.label}
      </Button>
      {/* Mounted only while open, as ConfirmButton's. */}
      {open && (
      <Modal isOpen={open} onClose={() => setOpen(false)} variant="small" aria-labelledby={titleId}>
        <ModalHeader title={props.title} labelId={titleId} />
        <ModalBody>
          <Form onSubmit={submit}>
            {props.children}
            <button type="submit" hidden aria-hidden="true" tabIndex={-1} />
          </Form>
          <ActionResult result={error ? { ok: false, text: error } : null} />
        </ModalBody>
        <ModalFooter>
          <Button variant="primary" onClick={() => submit()} isLoading={busy} isDisabled={busy}>
            {props.submitLabel ?? props.label}
          </Button>
          <Button variant="link" onClick={() => setOpen(false)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
      )}
    </>
  );
}
