// Repository notifications: webhooks on an event; create, test, delete.
import { Button, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { SelectField, TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ActionResult, Async } from "../../components/Status";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";

interface Notification {
  uuid: string;
  title?: string | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  number_of_failures?: number;
}

const EVENTS: [string, string][] = [
  ["repo_push", "Push to repository"],
  ["repo_image_expiry", "Image expiry"],
  ["quota_warning", "Quota warning"],
  ["quota_error", "Quota exceeded"],
];

export function Notifications({ repoPath }: { repoPath: string }) {
  const loaded = useApi<{ notifications: Notification[] }>(`${repoPath}/notification/`);
  const [event, setEvent] = useState("repo_push");
  const [url, setUrl] = useState("");
  const [title, setTitle] = useState("");
  const { result, setResult, run: act } = useAction(loaded.reload);
  return (
    <div className="berth-gap">
      <Title headingLevel="h2">Notifications</Title>
      <ActionResult result={result} />
      <FormModalButton
        label="Create notification"
        variant="secondary"
        title="Create a webhook notification"
        onSubmit={async () => {
          await api.post(`${repoPath}/notification/`, { event, method: "webhook", config: { url }, eventConfig: {}, title });
          setResult({ ok: true, text: "Notification created" });
          loaded.reload();
        }}
      >
        <SelectField label="When" value={event} onChange={setEvent} options={EVENTS} />
        <TextField label="Webhook URL" value={url} onChange={setUrl} isRequired placeholder="https://…" />
        <TextField label="Title" value={title} onChange={setTitle} />
      </FormModalButton>
      <Async what="notifications" loaded={loaded} isEmpty={(d) => d.notifications.length === 0} empty={<p>No notifications.</p>}>
        {(d) => (
          <Table role="table" aria-label="Notifications" variant="compact">
            <Thead>
              <Tr>
                <Th>Title</Th>
                <Th>Event</Th>
                <Th>Target</Th>
                <Th>Failures</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.notifications.map((n) => (
                <Tr key={n.uuid}>
                  <Td dataLabel="Title">{n.title || "—"}</Td>
                  <Td dataLabel="Event">{n.event}</Td>
                  <Td dataLabel="Target" className="berth-mono">
                    {String(n.config.url ?? n.method)}
                  </Td>
                  <Td dataLabel="Failures">{n.number_of_failures ?? 0}</Td>
                  <Td dataLabel="Actions">
                    <Button variant="link" onClick={() => act("Test notification queued", () => api.post(`${repoPath}/notification/${n.uuid}/test`))}>
                      Test
                    </Button>
                    <Button variant="link" isDanger onClick={() => act("Notification deleted", () => api.delete(`${repoPath}/notification/${n.uuid}`))}>
                      Delete
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Async>
    </div>
  );
}
