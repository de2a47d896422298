// Teams of an organization: create (name, role, description), members (add with the typeahead,
// remove), delete.
import { Button, ExpandableSection, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import type { Entity, Member, Organization, Team } from "../../api/types";
import { EntityPicker } from "../../components/EntityPicker";
import { SelectField, TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ConfirmButton } from "../../components/Confirm";
import { ActionResult, Async, Empty } from "../../components/Status";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";

const TEAM_ROLES: [string, string][] = [
  ["member", "Member: the team's repository permissions"],
  ["creator", "Creator: members, and may create repositories"],
  ["admin", "Admin: administers the organization"],
];

export function Teams({ org, orgPath, onChange }: { org: Organization; orgPath: string; onChange: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState("member");
  const [description, setDescription] = useState("");
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const teams = Object.values(org.teams ?? {});
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      {org.is_admin && (
        <FormModalButton
          label="Create team"
          title="Create team"
          submitLabel="Create"
          onOpen={() => {
            setName("");
            setDescription("");
            setRole("member");
          }}
          onSubmit={async () => {
            await api.put(`${orgPath}/team/${encodeURIComponent(name)}`, { role, description });
            setResult({ ok: true, text: `Created team ${name}` });
            onChange();
          }}
        >
          <TextField label="Team name" value={name} onChange={setName} isRequired />
          <SelectField label="Team role" value={role} onChange={setRole} options={TEAM_ROLES} />
          <TextField label="Description" value={description} onChange={setDescription} />
        </FormModalButton>
      )}
      {teams.length === 0 ? (
        <Empty title="No teams" />
      ) : (
        teams.map((t) => <TeamSection key={t.name} team={t} org={org} orgPath={orgPath} onChange={onChange} />)
      )}
    </div>
  );
}

function TeamSection({ team, org, orgPath, onChange }: { team: Team; org: Organization; orgPath: string; onChange: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <ExpandableSection toggleText={`${team.name} — ${team.role}${team.member_count !== undefined ? `, ${team.member_count} members` : ""}`} isExpanded={open} onToggle={(_e, v) => setOpen(v)}>
      {open && <TeamMembers team={team} org={org} orgPath={orgPath} onChange={onChange} />}
    </ExpandableSection>
  );
}

function TeamMembers({ team, org, orgPath, onChange }: { team: Team; org: Organization; orgPath: string; onChange: () => void }) {
  const teamPath = `${orgPath}/team/${encodeURIComponent(team.name)}`;
  const loaded = useApi<{ members: Member[]; can_edit?: boolean }>(`${teamPath}/members`);
  const [entity, setEntity] = useState<Entity | null>(null);
  const { result, setResult, run: change } = useAction(() => {
    loaded.reload();
    onChange();
  });
  return (
    <div className="berth-gap">
      {team.description && <p>{team.description}</p>}
      <ActionResult result={result} />
      {org.is_admin && (
        <FormModalButton
          label="Add member"
          variant="secondary"
          title={`Add a member to ${team.name}`}
          onOpen={() => setEntity(null)}
          onSubmit={async () => {
            if (!entity) throw new Error("Choose a user or robot from the list");
            await api.put(`${teamPath}/members/${encodeURIComponent(entity.name)}`);
            setResult({ ok: true, text: `Added ${entity.name}` });
            loaded.reload();
            onChange();
          }}
        >
          <EntityPicker label="User or robot" namespace={org.name} value={entity} onChange={setEntity} />
        </FormModalButton>
      )}
      <Async what="members" loaded={loaded} isEmpty={(d) => d.members.length === 0} empty={<p>No members.</p>}>
        {(d) => (
          <Table role="table" aria-label={`Members of ${team.name}`} variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.members.map((m) => (
                <Tr key={m.name}>
                  <Td dataLabel="Name">{m.name}</Td>
                  <Td dataLabel="Kind">{m.is_robot ? "robot" : m.kind}</Td>
                  <Td dataLabel="Actions">
                    {org.is_admin && (
                      <Button variant="link" isDanger aria-label={`Remove ${m.name} from ${team.name}`} onClick={() => change(`Removed ${m.name}`, () => api.delete(`${teamPath}/members/${encodeURIComponent(m.name)}`))}>
                        Remove
                      </Button>
                    )}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Async>
      {org.is_admin && (
        <>
          <Title headingLevel="h4">Delete team</Title>
          <ConfirmButton label={`Delete team ${team.name}`} title={`Delete team ${team.name}?`} body={<p>Its members lose the team's permissions.</p>} onConfirm={async () => {
            await api.delete(teamPath);
            onChange();
          }} />
        </>
      )}
    </div>
  );
}
