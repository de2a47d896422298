// Robot accounts of an organization or of the user (`base` is the API path of either): create,
// show the token with a copy button, regenerate it, see its permissions, delete.
import { Button, Modal, ModalBody, ModalHeader } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { useAction } from "../../useAction";
import type { Robot } from "../../api/types";
import { TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ConfirmButton } from "../../components/Confirm";
import { CopyText } from "../../components/CopyText";
import { ActionResult, Async } from "../../components/Status";
import { when } from "../../logic/format";
import { useApi } from "../../useApi";
import { useSession } from "../../session";

const shortName = (full: string) => full.slice(full.indexOf("+") + 1);

export function Robots({ base, namespace }: { base: string; namespace: string }) {
  const { config } = useSession();
  const loaded = useApi<{ robots: Robot[] }>(`${base}/robots?permissions=true`);
  const { result, setResult, fail } = useAction();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [shown, setShown] = useState<Robot | null>(null);
  const [perms, setPerms] = useState<{ robot: string; list: { repository: { name: string }; role: string }[] } | null>(null);
  const robotPath = (full: string) => `${base}/robots/${encodeURIComponent(shortName(full))}`;
  const showToken = (full: string) => api.get<Robot>(robotPath(full)).then(setShown, fail);
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <FormModalButton
        label="Create robot account"
        title="Create robot account"
        submitLabel="Create"
        onOpen={() => {
          setName("");
          setDescription("");
        }}
        onSubmit={async () => {
          const robot = await api.put<Robot>(`${base}/robots/${encodeURIComponent(name)}`, { description });
          setResult({ ok: true, text: `Created ${robot.name}` });
          loaded.reload();
          setShown(robot);
        }}
      >
        <TextField label="Robot name" value={name} onChange={setName} isRequired />
        <p>The account is named {namespace}+{name || "…"}.</p>
        <TextField label="Description" value={description} onChange={setDescription} />
      </FormModalButton>
      <Async what="robot accounts" loaded={loaded} isEmpty={(d) => d.robots.length === 0}>
        {(d) => (
          <Table role="table" aria-label="Robot accounts" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Description</Th>
                <Th>Created</Th>
                <Th>Last used</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.robots.map((r) => (
                <Tr key={r.name}>
                  <Td dataLabel="Name">{r.name}</Td>
                  <Td dataLabel="Description">{r.description}</Td>
                  <Td dataLabel="Created">{when(r.created)}</Td>
                  <Td dataLabel="Last used">{when(r.last_accessed)}</Td>
                  <Td dataLabel="Actions">
                    <Button variant="link" onClick={() => showToken(r.name)} aria-label={`Show token of ${r.name}`}>
                      Token
                    </Button>
                    <Button
                      variant="link"
                      aria-label={`Permissions of ${r.name}`}
                      onClick={() => api.get<{ permissions: { repository: { name: string }; role: string }[] }>(`${robotPath(r.name)}/permissions`).then((p) => setPerms({ robot: r.name, list: p.permissions }), fail)}
                    >
                      Permissions
                    </Button>
                    <ConfirmButton
                      label="Regenerate"
                      ariaLabel={`Regenerate token of ${r.name}`}
                      title={`Regenerate ${r.name}'s token?`}
                      body={<p>The current token stops working at once.</p>}
                      onConfirm={async () => setShown(await api.post<Robot>(`${robotPath(r.name)}/regenerate`))}
                    />
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete ${r.name}`}
                      title={`Delete ${r.name}?`}
                      body={<p>Its token stops working and its permissions go.</p>}
                      onConfirm={async () => {
                        await api.delete(robotPath(r.name));
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
      <Modal isOpen={shown !== null} onClose={() => setShown(null)} variant="medium" aria-labelledby="robot-token-title">
        <ModalHeader title={`Robot account ${shown?.name ?? ""}`} labelId="robot-token-title" />
        <ModalBody>
          {shown?.token && (
            <div className="berth-gap">
              <CopyText label="Robot token" value={shown.token} />
              <CopyText label="podman login command" value={`podman login -u='${shown.name}' -p='${shown.token}' ${config.config.SERVER_HOSTNAME}`} />
              <CopyText label="docker login command" value={`docker login -u='${shown.name}' -p='${shown.token}' ${config.config.SERVER_HOSTNAME}`} />
            </div>
          )}
        </ModalBody>
      </Modal>
      <Modal isOpen={perms !== null} onClose={() => setPerms(null)} variant="medium" aria-labelledby="robot-perms-title">
        <ModalHeader title={`Permissions of ${perms?.robot ?? ""}`} labelId="robot-perms-title" />
        <ModalBody>
          {perms && perms.list.length === 0 ? (
            <p>No repository permissions. Grant them in a repository's settings, or through a team.</p>
          ) : (
            <ul>
              {perms?.list.map((p) => (
                <li key={p.repository.name}>
                  {p.repository.name}: {p.role}
                </li>
              ))}
            </ul>
          )}
        </ModalBody>
      </Modal>
    </div>
  );
}
