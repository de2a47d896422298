// Organizations: the list of the user's (and create one), and one organization's tabs
// (?tab=repositories|teams|robots|defaults|applications|logs|settings|lifecycle).
import { PageSection, Tab, Tabs, TabTitleText, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api, seg } from "../api/client";
import type { Organization } from "../api/types";
import { TextField } from "../components/Field";
import { FormModalButton } from "../components/FormModal";
import { Async, Empty } from "../components/Status";
import { navigate, useLocation, withQuery } from "../router";
import { useSession } from "../session";
import { useApi } from "../useApi";
import { LogsView } from "./LogsView";
import { NamespaceRepositories } from "./org/NamespaceRepositories";
import { Teams } from "./org/Teams";
import { Robots } from "./org/Robots";
import { DefaultPermissions } from "./org/DefaultPermissions";
import { Applications } from "./org/Applications";
import { OrganizationSettings } from "./org/Settings";
import { Lifecycle } from "./org/Lifecycle";

export function OrganizationListPage() {
  const { user, refresh } = useSession();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const orgs = user?.organizations ?? [];
  return (
    <PageSection>
      <Title headingLevel="h1">Organizations</Title>
      <FormModalButton
        label="Create organization"
        title="Create organization"
        submitLabel="Create"
        onSubmit={async () => {
          await api.post("/api/v1/organization/", { name, email: email || undefined });
          await refresh();
          navigate(`/organization/${encodeURIComponent(name)}`);
        }}
      >
        <TextField label="Organization name" value={name} onChange={setName} isRequired />
        <TextField label="Email" type="email" value={email} onChange={setEmail} />
      </FormModalButton>
      {orgs.length === 0 ? (
        <Empty title="No organizations">Create one to share repositories with teams and robots.</Empty>
      ) : (
        <Table role="table" aria-label="Organizations" variant="compact">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Your standing</Th>
            </Tr>
          </Thead>
          <Tbody>
            {orgs.map((o) => (
              <Tr key={o.name}>
                <Td dataLabel="Name">
                  <a href={`/organization/${encodeURIComponent(o.name)}`}>{o.name}</a>
                </Td>
                <Td dataLabel="Your standing">{o.is_org_admin ? "admin" : "member"}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}

export function OrganizationPage({ org }: { org: string }) {
  const { path, query } = useLocation();
  const orgPath = `/api/v1/organization/${seg(org)}`;
  const loaded = useApi<Organization>(orgPath);
  const tab = query.get("tab") ?? "repositories";
  return (
    <PageSection>
      <Title headingLevel="h1">{org}</Title>
      <Async what="the organization" loaded={loaded}>
        {(o) => (
          <Tabs activeKey={tab} onSelect={(_e, k) => navigate(withQuery(path, query, { tab: String(k) }))} aria-label="Organization sections" mountOnEnter unmountOnExit>
            <Tab eventKey="repositories" title={<TabTitleText>Repositories</TabTitleText>}>
              <NamespaceRepositories namespace={org} />
            </Tab>
            <Tab eventKey="teams" title={<TabTitleText>Teams and members</TabTitleText>}>
              <Teams org={o} orgPath={orgPath} onChange={loaded.reload} />
            </Tab>
            {o.is_admin && (
              <Tab eventKey="robots" title={<TabTitleText>Robot accounts</TabTitleText>}>
                <Robots base={orgPath} namespace={org} />
              </Tab>
            )}
            {o.is_admin && (
              <Tab eventKey="defaults" title={<TabTitleText>Default permissions</TabTitleText>}>
                <DefaultPermissions orgPath={orgPath} org={org} />
              </Tab>
            )}
            {o.is_admin && (
              <Tab eventKey="applications" title={<TabTitleText>OAuth applications</TabTitleText>}>
                <Applications orgPath={orgPath} />
              </Tab>
            )}
            {o.is_admin && (
              <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
                <LogsView base={orgPath} />
              </Tab>
            )}
            {o.is_admin && (
              <Tab eventKey="lifecycle" title={<TabTitleText>Lifecycle</TabTitleText>}>
                <Lifecycle orgPath={orgPath} />
              </Tab>
            )}
            {o.is_admin && (
              <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
                <OrganizationSettings org={o} orgPath={orgPath} onChange={loaded.reload} />
              </Tab>
            )}
          </Tabs>
        )}
      </Async>
    </PageSection>
  );
}
