// A read-only value with a copy button (pull commands, robot tokens, app tokens).
import { ClipboardCopy } from "@patternfly/react-core";

export function CopyText({ value, label }: { value: string; label: string }) {
  return (
    <ClipboardCopy isReadOnly hoverTip="Copy" clickTip="Copied" textAriaLabel={label} toggleAriaLabel={`Show ${label}`}>
      {value}
    </ClipboardCopy>
  );
}
