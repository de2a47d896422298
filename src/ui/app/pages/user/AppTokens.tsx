// App-specific tokens: a password for the container tools that can be revoked alone. The token
// is shown once, when created.
import { Alert } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ConfirmButton } from "../../components/Confirm";
import { CopyText } from "../../components/CopyText";
import { Async } from "../../components/Status";
import { when } from "../../logic/format";
import { useApi } from "../../useApi";

interface AppToken {
  uuid: string;
  title: string;
  created?: string;
  last_accessed?: string | null;
  expiration?: string | null;
  token_code?: string;
}

export function AppTokens() {
  const loaded = useApi<{ tokens: AppToken[] }>("/api/v1/user/apptoken");
  const [title, setTitle] = useState("");
  const [created, setCreated] = useState<AppToken | null>(null);
  return (
    <div className="berth-gap">
      <FormModalButton
        label="Create app-specific token"
        title="Create app-specific token"
        submitLabel="Create"
        onOpen={() => setTitle("")}
        onSubmit={async () => {
          const r = await api.post<{ token: AppToken }>("/api/v1/user/apptoken", { title });
          setCreated(r.token);
          loaded.reload();
        }}
      >
        <TextField label="Title" value={title} onChange={setTitle} isRequired />
      </FormModalButton>
      {created?.token_code && (
        <Alert variant="success" isInline title={`Token ${created.title} created: copy it now, it is not shown again`}>
          <CopyText label="App-specific token" value={created.token_code} />
        </Alert>
      )}
      <Async what="app-specific tokens" loaded={loaded} isEmpty={(d) => d.tokens.length === 0}>
        {(d) => (
          <Table role="table" aria-label="App-specific tokens" variant="compact">
            <Thead>
              <Tr>
                <Th>Title</Th>
                <Th>Created</Th>
                <Th>Last used</Th>
                <Th>Expires</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.tokens.map((t) => (
                <Tr key={t.uuid}>
                  <Td dataLabel="Title">{t.title}</Td>
                  <Td dataLabel="Created">{when(t.created)}</Td>
                  <Td dataLabel="Last used">{when(t.last_accessed)}</Td>
                  <Td dataLabel="Expires">{t.expiration ? when(t.expiration) : "never"}</Td>
                  <Td dataLabel="Actions">
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke ${t.title}`}
                      title={`Revoke ${t.title}?`}
                      body={<p>Tools signed in with it lose access at once.</p>}
                      onConfirm={async () => {
                        await api.delete(`/api/v1/user/apptoken/${t.uuid}`);
                        loaded.reload();
                      }}
                    />
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
