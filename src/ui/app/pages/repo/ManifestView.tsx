// One manifest: its layers with the commands that made them, its labels (add, remove), and for
// an index the images it names.
import { Button, Label as PfLabel, LabelGroup, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api, seg } from "../../api/client";
import { useAction } from "../../useAction";
import type { Label, Manifest, RepoDetail } from "../../api/types";
import { bytes, shortDigest } from "../../logic/format";
import { TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ActionResult, Async } from "../../components/Status";
import { useApi } from "../../useApi";
import { IndexChildren } from "./IndexChildren";

export function ManifestView({ repoPath, repo, digest }: { repoPath: string; repo: RepoDetail; digest: string }) {
  const manifestPath = `${repoPath}/manifest/${encodeURIComponent(digest)}`;
  const manifest = useApi<Manifest>(manifestPath);
  const labels = useApi<{ labels: Label[] }>(`${manifestPath}/labels`);
  const { result, act, run } = useAction(labels.reload);
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  return (
    <div className="berth-gap">
      <p>
        <a href={`/repository/${seg(repo.namespace)}/${seg(repo.name)}?tab=tags`}>← All tags</a>
      </p>
      <Title headingLevel="h2">
        Manifest <span className="berth-mono">{digest}</span>
      </Title>
      <ActionResult result={result} />
      <Title headingLevel="h3">Labels</Title>
      <Async what="labels" loaded={labels} isEmpty={(d) => d.labels.length === 0} empty={<p>No labels.</p>}>
        {(d) => (
          <LabelGroup numLabels={50} aria-label="Labels">
            {d.labels.map((l) => (
              <PfLabel
                key={l.id}
                color={l.source_type === "api" ? "blue" : "grey"}
                onClose={
                  repo.can_write
                    ? () => run(`Removed label ${l.key}`, () => api.delete(`${manifestPath}/labels/${encodeURIComponent(l.id)}`))
                    : undefined
                }
                closeBtnAriaLabel={`Remove label ${l.key}=${l.value}`}
              >
                {l.key}={l.value}
              </PfLabel>
            ))}
          </LabelGroup>
        )}
      </Async>
      {repo.can_write && (
        <FormModalButton
          label="Add label"
          variant="secondary"
          title="Add a label"
          onOpen={() => {
            setKey("");
            setValue("");
          }}
          onSubmit={async () => {
            await act(`Added label ${key}`, () => api.post(`${manifestPath}/labels`, { key, value, media_type: "text/plain" }));
          }}
        >
          <TextField label="Key" value={key} onChange={setKey} isRequired />
          <TextField label="Value" value={value} onChange={setValue} />
        </FormModalButton>
      )}
      <Async what="the manifest" loaded={manifest}>
        {(m) =>
          m.is_manifest_list ? (
            <>
              <Title headingLevel="h3">Platforms</Title>
              <IndexChildren repoPath={repoPath} repo={repo} digest={digest} />
            </>
          ) : (
            <>
              <Title headingLevel="h3">Layers</Title>
              <Table role="table" aria-label="Layers" variant="compact">
                <Thead>
                  <Tr>
                    <Th>#</Th>
                    <Th>Command</Th>
                    <Th>Size</Th>
                    <Th>Blob</Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {(m.layers ?? []).map((l) => (
                    <Tr key={`${l.index}-${l.blob_digest}`}>
                      <Td dataLabel="#">{l.index + 1}</Td>
                      <Td dataLabel="Command" className="berth-mono">
                        {l.command?.join(" ") || "—"}
                      </Td>
                      <Td dataLabel="Size">{bytes(l.compressed_size)}</Td>
                      <Td dataLabel="Blob" className="berth-mono">
                        {shortDigest(l.blob_digest)}
                      </Td>
                    </Tr>
                  ))}
                </Tbody>
              </Table>
              {m.config_media_type && <p>Config: {m.config_media_type}</p>}
            </>
          )
        }
      </Async>
      <Button variant="link" isInline component="a" href={`/repository/${seg(repo.namespace)}/${seg(repo.name)}?tab=history`}>
        Tag history
      </Button>
    </div>
  );
}
