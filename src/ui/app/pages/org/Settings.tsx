// Organization settings: email, the time machine window (how long ended tags stay restorable),
// delete the organization.
import { ActionGroup, Button, Form, Title } from "@patternfly/react-core";
import { useState } from "react";
import { api } from "../../api/client";
import { useAction } from "../../useAction";
import type { Organization } from "../../api/types";
import { SelectField, TextField } from "../../components/Field";
import { ConfirmButton } from "../../components/Confirm";
import { ActionResult } from "../../components/Status";
import { duration } from "../../logic/format";
import { navigate } from "../../router";
import { windowSeconds } from "../../logic/timeMachine";
import { useSession } from "../../session";

export function OrganizationSettings({ org, orgPath, onChange }: { org: Organization; orgPath: string; onChange: () => void }) {
  const { config, refresh } = useSession();
  const [email, setEmail] = useState(org.email ?? "");
  const [window, setWindow] = useState(String(org.tag_expiration_s ?? 1209600));
  const { result, run } = useAction(onChange);
  const windows = windowSeconds(config.config.TAG_EXPIRATION_OPTIONS ?? []);
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <Form
        onSubmit={(e) => {
          e.preventDefault();
          run("Settings saved", () => api.put(orgPath, { email, tag_expiration_s: Number(window) }));
        }}
      >
        <TextField label="Email" type="email" value={email} onChange={setEmail} />
        <SelectField label="Time machine window" value={window} onChange={setWindow} options={windows.map((s) => [String(s), s === 0 ? "none (ended tags go at once)" : duration(s)])} />
        <ActionGroup>
          <Button type="submit">Save settings</Button>
        </ActionGroup>
      </Form>
      <Title headingLevel="h2">Delete organization</Title>
      <ConfirmButton
        label="Delete organization"
        variant="danger"
        title={`Delete ${org.name}?`}
        body={<p>Every repository, team and robot of {org.name} goes, for good.</p>}
        onConfirm={async () => {
          await api.delete(orgPath);
          await refresh();
          navigate("/organization");
        }}
      />
    </div>
  );
}
