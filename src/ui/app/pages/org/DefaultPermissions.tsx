// Default permissions (Quay's prototypes): when a repository is created in the organization (by
// anyone, or by one user), a user, robot or team gets a role on it.
import { Button } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { useAction } from "../../useAction";
import type { Entity } from "../../api/types";
import { EntityPicker } from "../../components/EntityPicker";
import { SelectField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ActionResult, Async } from "../../components/Status";
import { useApi } from "../../useApi";

interface Prototype {
  id: string;
  role: string;
  activating_user?: { name: string } | null;
  delegate: { name: string; kind: string; is_robot?: boolean };
}

export function DefaultPermissions({ orgPath, org }: { orgPath: string; org: string }) {
  const loaded = useApi<{ prototypes: Prototype[] }>(`${orgPath}/prototypes`);
  const { result, act, run } = useAction(loaded.reload);
  const [creator, setCreator] = useState<Entity | null>(null);
  const [delegate, setDelegate] = useState<Entity | null>(null);
  const [role, setRole] = useState("read");
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <FormModalButton
        label="Create default permission"
        title="Create default permission"
        submitLabel="Create"
        onOpen={() => {
          setCreator(null);
          setDelegate(null);
          setRole("read");
        }}
        onSubmit={async () => {
          if (!delegate) throw new Error("Choose who gets the permission");
          await act("Default permission created", () =>
            api.post(`${orgPath}/prototypes`, {
              role,
              delegate: { name: delegate.name, kind: delegate.kind === "team" ? "team" : "user" },
              ...(creator ? { activating_user: { name: creator.name } } : {}),
            }),
          );
        }}
      >
        <EntityPicker label="Applies when created by (empty: anyone)" namespace={org} value={creator} onChange={setCreator} />
        <EntityPicker label="Grant to user, robot or team" namespace={org} includeTeams value={delegate} onChange={setDelegate} />
        <SelectField label="Role" value={role} onChange={setRole} options={[["read", "Read"], ["write", "Write"], ["admin", "Admin"]]} />
      </FormModalButton>
      <Async what="default permissions" loaded={loaded} isEmpty={(d) => d.prototypes.length === 0}>
        {(d) => (
          <Table role="table" aria-label="Default permissions" variant="compact">
            <Thead>
              <Tr>
                <Th>Repository created by</Th>
                <Th>Granted to</Th>
                <Th>Role</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.prototypes.map((p) => (
                <Tr key={p.id}>
                  <Td dataLabel="Repository created by">{p.activating_user?.name ?? "anyone"}</Td>
                  <Td dataLabel="Granted to">
                    {p.delegate.name} ({p.delegate.kind === "team" ? "team" : p.delegate.is_robot ? "robot" : "user"})
                  </Td>
                  <Td dataLabel="Role">{p.role}</Td>
                  <Td dataLabel="Actions">
                    <Button
                      variant="link"
                      isDanger
                      onClick={() => run("Default permission deleted", () => api.delete(`${orgPath}/prototypes/${encodeURIComponent(p.id)}`))}
                    >
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
