// OAuth applications of an organization: create, see the client id and secret, generate a token
// for yourself through the authorize flow (/oauth/authorize, implicit grant), delete.
import { Button, Checkbox, Modal, ModalBody, ModalHeader } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { useAction } from "../../useAction";
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

const SCOPES: [string, string][] = [
  ["repo:read", "View all visible repositories"],
  ["repo:write", "Read and write to any accessible repository"],
  ["repo:admin", "Administer repositories"],
  ["repo:create", "Create repositories"],
  ["user:read", "Read user information"],
  ["user:admin", "Administer the user"],
  ["org:admin", "Administer the organization"],
  ["super:user", "Superuser powers"],
];

/** Posts a form as a page navigation (built here: a <form> cannot sit inside the dialog's own form). */
function postForm(action: string, fields: Record<string, string>): void {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  form.hidden = true;
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}

/**
 * Quay's implicit grant for yourself: the browser posts a form to /oauth/authorizeapp (with the
 * session's CSRF token as `_csrf_token`) and follows the 302 to /oauth/localapp, whose page shows
 * the token from the address's fragment. A form, not fetch: a fetch cannot read a redirect's
 * Location, and the token must not pass through this page's code.
 */
function GenerateTokenButton({ app }: { app: Application }) {
  const [scopes, setScopes] = useState<string[]>(["repo:read"]);
  return (
    <FormModalButton
      label="Generate token"
      variant="link"
      title={`Generate a token for yourself with ${app.name}`}
      submitLabel="Authorize application"
      onSubmit={async () => {
        if (scopes.length === 0) throw new Error("Choose at least one scope");
        postForm("/oauth/authorizeapp", {
          client_id: app.client_id,
          redirect_uri: `${location.origin}/oauth/localapp`,
          response_type: "token",
          scope: scopes.join(" "),
          _csrf_token: await api.csrfToken(),
        });
      }}
    >
      {SCOPES.map(([scope, text]) => (
        <Checkbox key={scope} id={`${app.client_id}-${scope}`} label={`${scope}: ${text}`} isChecked={scopes.includes(scope)} onChange={(_e, on) => setScopes(on ? [...scopes, scope] : scopes.filter((s) => s !== scope))} />
      ))}
    </FormModalButton>
  );
}

export function Applications({ orgPath }: { orgPath: string }) {
  const loaded = useApi<{ applications: Application[] }>(`${orgPath}/applications`);
  const { result, act } = useAction(loaded.reload);
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
                    <GenerateTokenButton app={a} />
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete application ${a.name}`}
                      title={`Delete ${a.name}?`}
                      body={<p>Its tokens stop working.</p>}
                      onConfirm={() => act(`Deleted ${a.name}`, () => api.delete(`${orgPath}/applications/${encodeURIComponent(a.client_id)}`))}
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
