// Tag changes that need a value: add or move a tag to this manifest, set or clear the expiry.
import { useState } from "react";
import { api } from "../../api/client";
import type { Tag } from "../../api/types";
import { TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";

type Act = (what: string, run: () => Promise<unknown>) => Promise<void>;

export function RetagButton({ tag, repoPath, act }: { tag: Tag; repoPath: string; act: Act }) {
  const [name, setName] = useState("");
  return (
    <FormModalButton label="Add tag" variant="link" title={`Add or move a tag to ${tag.name}'s manifest`} submitLabel="Save tag" onOpen={() => setName("")} onSubmit={() => act(`Tagged ${name}`, () => api.put(`${repoPath}/tag/${encodeURIComponent(name)}`, { manifest_digest: tag.manifest_digest }))}>
      <TextField label="Tag name" value={name} onChange={setName} isRequired />
      <p>A tag that exists already moves to this manifest.</p>
    </FormModalButton>
  );
}

/** A datetime-local value (local time, minutes) for a date. */
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ExpiryButton({ tag, repoPath, act }: { tag: Tag; repoPath: string; act: Act }) {
  const [value, setValue] = useState("");
  const initial = () => setValue(tag.expiration ? localInput(new Date(tag.expiration)) : localInput(new Date(Date.now() + 7 * 86400_000)));
  return (
    <FormModalButton
      label="Set expiry"
      variant="link"
      title={`Expiry of ${tag.name}`}
      submitLabel="Save expiry"
      onOpen={initial}
      onSubmit={() => {
        const seconds = value ? Math.floor(new Date(value).getTime() / 1000) : null;
        return act(seconds ? `${tag.name} expires ${new Date(seconds * 1000).toLocaleString()}` : `${tag.name} never expires`, () => api.put(`${repoPath}/tag/${encodeURIComponent(tag.name)}`, { expiration: seconds }));
      }}
    >
      <TextField label="Expires at" type="datetime-local" value={value} onChange={setValue} />
      <p>Leave empty for no expiry.</p>
    </FormModalButton>
  );
}
