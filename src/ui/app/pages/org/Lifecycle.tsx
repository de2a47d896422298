// An organization's lifecycle settings: auto-prune policies (keep N tags, or tags younger than a
// duration), immutability policies (tags whose names match a pattern), and the quota (Quota.tsx).
import { Button, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { SelectField, TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ActionResult, Async } from "../../components/Status";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";
import { Quota } from "./Quota";

interface PrunePolicy {
  uuid: string;
  method: string;
  value: number | string;
  tagPattern?: string | null;
  tagPatternMatches?: boolean;
}

interface ImmutabilityPolicy {
  uuid: string;
  tagPattern: string;
  tagPatternMatches: boolean;
}

export function Lifecycle({ orgPath }: { orgPath: string }) {
  const prune = useApi<{ policies: PrunePolicy[] }>(`${orgPath}/autoprunepolicy/`);
  const immutable = useApi<{ policies: ImmutabilityPolicy[] }>(`${orgPath}/immutabilitypolicy/`);
  // Two lists: each change reloads its own (inside the call), so the hook reloads nothing itself.
  const { result, act, run } = useAction();
  const [method, setMethod] = useState("number_of_tags");
  const [value, setValue] = useState("10");
  const [pattern, setPattern] = useState("");
  const [matches, setMatches] = useState("true");
  const remove = (path: string, loaded: { reload: () => void }) =>
    run("Policy deleted", async () => {
      await api.delete(path);
      loaded.reload();
    });
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <Title headingLevel="h2">Auto-prune policies</Title>
      <FormModalButton
        label="Add auto-prune policy"
        variant="secondary"
        title="Add an auto-prune policy"
        onOpen={() => {
          setMethod("number_of_tags");
          setValue("10");
          setPattern("");
        }}
        onSubmit={() =>
          act("Auto-prune policy added", async () => {
            await api.post(`${orgPath}/autoprunepolicy/`, {
              method,
              value: method === "number_of_tags" ? Number(value) : value,
              ...(pattern ? { tagPattern: pattern, tagPatternMatches: matches === "true" } : {}),
            });
            prune.reload();
          })
        }
      >
        <SelectField label="Prune by" value={method} onChange={setMethod} options={[["number_of_tags", "Number of tags (keep the newest N)"], ["creation_date", "Age (prune tags older than, e.g. 30d)"]]} />
        <TextField label={method === "number_of_tags" ? "Tags to keep" : "Older than"} value={value} onChange={setValue} isRequired />
        <TextField label="Tag pattern (optional regular expression)" value={pattern} onChange={setPattern} />
        <SelectField label="Pattern applies to" value={matches} onChange={setMatches} options={[["true", "tags that match"], ["false", "tags that do not match"]]} />
      </FormModalButton>
      <Async what="auto-prune policies" loaded={prune} isEmpty={(d) => d.policies.length === 0} empty={<p>No auto-prune policy.</p>}>
        {(d) => (
          <Table role="table" aria-label="Auto-prune policies" variant="compact">
            <Thead>
              <Tr>
                <Th>Method</Th>
                <Th>Value</Th>
                <Th>Tag pattern</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.policies.map((p) => (
                <Tr key={p.uuid}>
                  <Td dataLabel="Method">{p.method === "number_of_tags" ? "keep newest" : "prune older than"}</Td>
                  <Td dataLabel="Value">{String(p.value)}</Td>
                  <Td dataLabel="Tag pattern">{p.tagPattern ? `${p.tagPatternMatches === false ? "not " : ""}${p.tagPattern}` : "all tags"}</Td>
                  <Td dataLabel="Actions">
                    <Button variant="link" isDanger onClick={() => remove(`${orgPath}/autoprunepolicy/${p.uuid}`, prune)}>
                      Delete
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Async>
      <Title headingLevel="h2">Immutability policies</Title>
      <FormModalButton
        label="Add immutability policy"
        variant="secondary"
        title="Add an immutability policy"
        onOpen={() => setPattern("")}
        onSubmit={() =>
          act("Immutability policy added", async () => {
            await api.post(`${orgPath}/immutabilitypolicy/`, { tagPattern: pattern, tagPatternMatches: matches === "true" });
            immutable.reload();
          })
        }
      >
        <TextField label="Tag pattern (regular expression)" value={pattern} onChange={setPattern} isRequired placeholder="^v[0-9]+\." />
        <SelectField label="Immutable are" value={matches} onChange={setMatches} options={[["true", "tags that match"], ["false", "tags that do not match"]]} />
      </FormModalButton>
      <Async what="immutability policies" loaded={immutable} isEmpty={(d) => d.policies.length === 0} empty={<p>No immutability policy.</p>}>
        {(d) => (
          <Table role="table" aria-label="Immutability policies" variant="compact">
            <Thead>
              <Tr>
                <Th>Tag pattern</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {d.policies.map((p) => (
                <Tr key={p.uuid}>
                  <Td dataLabel="Tag pattern">{`${p.tagPatternMatches ? "" : "not "}${p.tagPattern}`}</Td>
                  <Td dataLabel="Actions">
                    <Button variant="link" isDanger onClick={() => remove(`${orgPath}/immutabilitypolicy/${p.uuid}`, immutable)}>
                      Delete
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Async>
      <Quota orgPath={orgPath} />
    </div>
  );
}
