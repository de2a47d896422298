// Who may do what in a repository: users, robots and teams with read, write or admin; added with
// the entity typeahead, changed in place, removed.
import { Button, FormSelect, FormSelectOption, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import type { Entity, RepoDetail } from "../../api/types";
import { EntityPicker } from "../../components/EntityPicker";
import { SelectField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ActionResult, Async } from "../../components/Status";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";

const ROLES: [string, string][] = [
  ["read", "Read"],
  ["write", "Write"],
  ["admin", "Admin"],
];

interface Grant {
  name: string;
  role: string;
  is_robot?: boolean;
}

export function Permissions({ repoPath, repo }: { repoPath: string; repo: RepoDetail }) {
  const users = useApi<{ permissions: Record<string, Grant> }>(`${repoPath}/permissions/user/`);
  const teams = useApi<{ permissions: Record<string, Grant> }>(`${repoPath}/permissions/team/`);
  const [entity, setEntity] = useState<Entity | null>(null);
  const [role, setRole] = useState("read");
  const reload = () => {
    users.reload();
    teams.reload();
  };
  const pathOf = (kind: "user" | "team", name: string) => `${repoPath}/permissions/${kind}/${encodeURIComponent(name)}`;
  const { result, setResult, run: change } = useAction(reload);
  const rows = (kind: "user" | "team", grants: Record<string, Grant>) =>
    Object.values(grants).map((g) => (
      <Tr key={`${kind}:${g.name}`}>
        <Td dataLabel="Name">{g.name}</Td>
        <Td dataLabel="Kind">{kind === "team" ? "team" : g.is_robot ? "robot" : "user"}</Td>
        <Td dataLabel="Role">
          <FormSelect aria-label={`Role of ${g.name}`} value={g.role} onChange={(_e, v) => change(`${g.name} has ${v} now`, () => api.put(pathOf(kind, g.name), { role: v }))}>
            {ROLES.map(([v, t]) => (
              <FormSelectOption key={v} value={v} label={t} />
            ))}
          </FormSelect>
        </Td>
        <Td dataLabel="Actions">
          <Button variant="link" isDanger onClick={() => change(`Removed ${g.name}`, () => api.delete(pathOf(kind, g.name)))} aria-label={`Remove ${g.name}'s permission`}>
            Remove
          </Button>
        </Td>
      </Tr>
    ));
  return (
    <div className="berth-gap">
      <Title headingLevel="h2">Permissions</Title>
      <ActionResult result={result} />
      <FormModalButton
        label="Add permission"
        variant="secondary"
        title="Add a permission"
        onOpen={() => {
          setEntity(null);
          setRole("read");
        }}
        onSubmit={async () => {
          if (!entity) throw new Error("Choose a user, robot or team from the list");
          const kind = entity.kind === "team" ? "team" : "user";
          await api.put(pathOf(kind, entity.name), { role });
          setResult({ ok: true, text: `${entity.name} has ${role}` });
          reload();
        }}
      >
        <EntityPicker label="User, robot or team" namespace={repo.namespace} includeTeams value={entity} onChange={setEntity} />
        <SelectField label="Role" value={role} onChange={setRole} options={ROLES} />
      </FormModalButton>
      <Async what="permissions" loaded={users}>
        {(u) => (
          <Table role="table" aria-label="Permissions" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                <Th>Role</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {rows("user", u.permissions)}
              {teams.data && rows("team", teams.data.permissions)}
            </Tbody>
          </Table>
        )}
      </Async>
    </div>
  );
}
