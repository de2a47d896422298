// The superuser panel: users (create, disable/enable, reset password, delete), organizations
// (delete), the registry's usage logs.
import { Alert, Button, PageSection, Tab, Tabs, TabTitleText, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../api/client";
import { TextField } from "../components/Field";
import { FormModalButton } from "../components/FormModal";
import { ConfirmButton } from "../components/Confirm";
import { CopyText } from "../components/CopyText";
import { ActionResult, Async, Empty } from "../components/Status";
import { navigate, useLocation, withQuery } from "../router";
import { useSession } from "../session";
import { useAction } from "../useAction";
import { useApi } from "../useApi";
import { LogsView } from "./LogsView";

interface SuperUserView {
  username: string;
  email?: string | null;
  enabled: boolean;
  super_user: boolean;
}

export function SuperuserPage() {
  const { user } = useSession();
  const { path, query } = useLocation();
  const tab = query.get("tab") ?? "users";
  if (!user?.super_user) {
    return (
      <PageSection>
        <Empty title="Superusers only">This panel is for the registry's superusers.</Empty>
      </PageSection>
    );
  }
  return (
    <PageSection>
      <Title headingLevel="h1">Superuser panel</Title>
      <Tabs activeKey={tab} onSelect={(_e, k) => navigate(withQuery(path, query, { tab: String(k) }))} aria-label="Superuser sections" mountOnEnter unmountOnExit>
        <Tab eventKey="users" title={<TabTitleText>Users</TabTitleText>}>
          <Users />
        </Tab>
        <Tab eventKey="organizations" title={<TabTitleText>Organizations</TabTitleText>}>
          <Organizations />
        </Tab>
        <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
          <LogsView base="/api/v1/superuser" />
        </Tab>
      </Tabs>
    </PageSection>
  );
}

function Users() {
  const loaded = useApi<{ users: SuperUserView[] }>("/api/v1/superuser/users/");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState<{ user: string; password: string } | null>(null);
  const [newPassword, setNewPassword] = useState("");
  const { result, setResult, act, run } = useAction(loaded.reload);
  const userPath = (u: string) => `/api/v1/superuser/users/${encodeURIComponent(u)}`;
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <FormModalButton
        label="Create user"
        title="Create user"
        submitLabel="Create"
        onOpen={() => {
          setName("");
          setEmail("");
        }}
        onSubmit={async () => {
          const made = await api.post<{ username: string; password?: string }>("/api/v1/superuser/users/", { username: name, email });
          setResult({ ok: true, text: `Created ${made.username}` });
          if (made.password) setPassword({ user: made.username, password: made.password });
          loaded.reload();
        }}
      >
        <TextField label="Username" value={name} onChange={setName} isRequired />
        <TextField label="Email" type="email" value={email} onChange={setEmail} />
      </FormModalButton>
      {password && (
        <Alert variant="info" isInline title={`Temporary password of ${password.user}: give it to them; it is not shown again`}>
          <CopyText label="Temporary password" value={password.password} />
        </Alert>
      )}
      <Async what="users" loaded={loaded} isEmpty={(d) => d.users.length === 0}>
        {(d) => (
          <Table role="table" aria-label="Users" variant="compact">
            <Thead>
              <Tr>
                <Th>Username</Th>
                <Th>Email</Th>
                <Th>Status</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.users.map((u) => (
                <Tr key={u.username}>
                  <Td dataLabel="Username">
                    {u.username} {u.super_user ? "(superuser)" : ""}
                  </Td>
                  <Td dataLabel="Email">{u.email}</Td>
                  <Td dataLabel="Status">{u.enabled ? "enabled" : "disabled"}</Td>
                  <Td dataLabel="Actions">
                    <Button variant="link" onClick={() => run(`${u.username} ${u.enabled ? "disabled" : "enabled"}`, () => api.put(userPath(u.username), { enabled: !u.enabled }))}>
                      {u.enabled ? "Disable" : "Enable"}
                    </Button>
                    <FormModalButton label="Reset password" variant="link" title={`New password for ${u.username}`} submitLabel="Set password" onOpen={() => setNewPassword("")} onSubmit={() => act(`Password of ${u.username} changed`, () => api.put(userPath(u.username), { password: newPassword }))}>
                      <TextField label="New password" type="password" value={newPassword} onChange={setNewPassword} isRequired autoComplete="new-password" />
                    </FormModalButton>
                    <ConfirmButton label="Delete" ariaLabel={`Delete user ${u.username}`} title={`Delete ${u.username}?`} body={<p>The account, its repositories and robots go, for good.</p>} onConfirm={() => act(`Deleted ${u.username}`, () => api.delete(userPath(u.username)))} />
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

function Organizations() {
  const loaded = useApi<{ organizations: { name: string; email?: string | null }[] }>("/api/v1/superuser/organizations/");
  const { result, act } = useAction(loaded.reload);
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <Async what="organizations" loaded={loaded} isEmpty={(d) => d.organizations.length === 0}>
        {(d) => (
          <Table role="table" aria-label="Organizations" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Email</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.organizations.map((o) => (
                <Tr key={o.name}>
                  <Td dataLabel="Name">
                    <a href={`/organization/${encodeURIComponent(o.name)}`}>{o.name}</a>
                  </Td>
                  <Td dataLabel="Email">{o.email}</Td>
                  <Td dataLabel="Actions">
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete organization ${o.name}`}
                      title={`Delete ${o.name}?`}
                      body={<p>Every repository, team and robot of {o.name} goes, for good.</p>}
                      onConfirm={() => act(`Deleted ${o.name}`, () => api.delete(`/api/v1/superuser/organizations/${encodeURIComponent(o.name)}`))}
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
