// OAuth applications of an organization: create, see the client id and secret, generate a token
// for yourself through the authorize flow (/oauth/authorize, implicit grant), delete.
import { Button, Modal, ModalBody, ModalHeader } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api, message } from "../../api/client";
import { TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ConfirmButton } from "../../components/Confirm";
import { CopyText } from "../../components/CopyText";
import { ActionResult, Async } from "../../components/Status";
import { useApi } from "../../useApi";

interface Application {
  client_id: string;
  client_secret?: string;
  name: string;
  description?: string;
  application_uri?: string;
  redirect_uri?: string;
}

/** The authorize URL that hands the signed-in user a token for this application. */
export function authorizeUrl(app: Application, scopes: string): string {
  const q = new URLSearchParams({ response_type: "token", client_id: app.client_id, scope: scopes, redirect_uri: app.redirect_uri || `${location.origin}/oauth/localapp` });
  return `/oauth/authorize?${q}`;
}

export function Applications({ orgPath }: { orgPath: string }) {
  const loaded = useApi<{ applications: Application[] }>(`${orgPath}/applications`);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [name, setName] = useState("");
  const [redirect, setRedirect] = useState("");
  const [shown, setShown] = useState<Application | null>(null);
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <FormModalButton
        label="Create application"
        title="Create OAuth application"
        submitLabel="Create"
        onOpen={() => {
          setName("");
          setRedirect("");
        }}
        onSubmit={async () => {
          const app = await api.post<Application>(`${orgPath}/applications`, { name, redirect_uri: redirect, application_uri: "", description: "" });
          loaded.reload();
          setShown(app);
        }}
      >
        <TextField label="Application name" value={name} onChange={setName} isRequired />
        <TextField label="Redirect URL" value={redirect} onChange={setRedirect} placeholder={`${location.origin}/oauth/localapp`} />
      </FormModalButton>
      <Async what="applications" loaded={loaded} isEmpty={(d) => d.applications.length === 0}>
        {(d) => (
          <Table role="table" aria-label="OAuth applications" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Client ID</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.applications.map((a) => (
                <Tr key={a.client_id}>
                  <Td dataLabel="Name">{a.name}</Td>
                  <Td dataLabel="Client ID" className="berth-mono">
                    {a.client_id}
                  </Td>
                  <Td dataLabel="Actions">
                    <Button variant="link" onClick={() => setShown(a)}>
                      Credentials
                    </Button>
                    <Button variant="link" component="a" href={authorizeUrl(a, "repo:read")} target="_self">
                      Generate token
                    </Button>
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete application ${a.name}`}
                      title={`Delete ${a.name}?`}
                      body={<p>Its tokens stop working.</p>}
                      onConfirm={() =>
                        api.delete(`${orgPath}/applications/${encodeURIComponent(a.client_id)}`).then(
                          () => loaded.reload(),
                          (e) => {
                            setResult({ ok: false, text: message(e) });
                            throw e;
                          },
                        )
                      }
                    />
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Async>
      <Modal isOpen={shown !== null} onClose={() => setShown(null)} variant="medium" aria-labelledby="app-creds-title">
        <ModalHeader title={`Credentials of ${shown?.name ?? ""}`} labelId="app-creds-title" />
        <ModalBody>
          {shown && (
            <div className="berth-gap">
              <CopyText label="Client ID" value={shown.client_id} />
              {shown.client_secret && <CopyText label="Client secret" value={shown.client_secret} />}
            </div>
          )}
        </ModalBody>
      </Modal>
    </div>
  );
}
