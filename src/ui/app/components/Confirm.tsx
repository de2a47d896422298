// A button that asks before it acts (deleting, regenerating): a modal with the consequence
// spelled out, the action's error shown in place.
import { Button, Modal, ModalBody, ModalFooter, ModalHeader, type ButtonProps } from "@patternfly/react-core";
import type { ReactNode } from "react";
import { ActionResult } from "./Status";
import { useModalAction } from "./useModalAction";

export function ConfirmButton(props: {
  label: string;
  title: string;
  body: ReactNode;
  confirmLabel?: string;
  variant?: ButtonProps["variant"];
  onConfirm: () => Promise<unknown>;
  ariaLabel?: string;
}) {
  const { open, setOpen, busy, error, run } = useModalAction(props.onConfirm);
  return (
    <>
      <Button variant={props.variant ?? "link"} isDanger={props.variant !== "primary"} onClick={() => setOpen(true)} aria-label={props.ariaLabel}>
        {props.label}
      </Button>
      {/* Mounted only while open: PatternFly gives every mounted Modal its own container in <body> (a tag list has one button a row). */}
      {open && (
      <Modal isOpen={open} onClose={() => setOpen(false)} variant="small" aria-labelledby="confirm-title">
        <ModalHeader title={props.title} labelId="confirm-title" />
        <ModalBody>
          {props.body}
          <ActionResult result={error ? { ok: false, text: error } : null} />
        </ModalBody>
        <ModalFooter>
          <Button variant="danger" onClick={run} isLoading={busy} isDisabled={busy}>
            {props.confirmLabel ?? props.label}
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
