// The time machine: every tag period, newest first; an ended period can be restored (the tag
// points at that manifest again) while the repository's window keeps it.
import { Label, Pagination } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import type { RepoDetail, TagPage } from "../../api/types";
import { shortDigest, when } from "../../logic/format";
import { ConfirmButton } from "../../components/Confirm";
import { ActionResult, Async } from "../../components/Status";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";

const LIMIT = 100;

export function HistoryTab({ repoPath, repo }: { repoPath: string; repo: RepoDetail }) {
  const [page, setPage] = useState(1);
  const loaded = useApi<TagPage>(`${repoPath}/tag/?onlyActiveTags=false&limit=${LIMIT}&page=${page}`);
  const { result, act } = useAction(loaded.reload);
  const now = Date.now() / 1000;
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <Async what="tag history" loaded={loaded} isEmpty={(d) => d.tags.length === 0}>
        {(data) => (
          <>
            <Table role="table" aria-label="Tag history" variant="compact">
              <Thead>
                <Tr>
                  <Th>Tag</Th>
                  <Th>Manifest</Th>
                  <Th>From</Th>
                  <Th>Until</Th>
                  <Th screenReaderText="Actions" />
                </Tr>
              </Thead>
              <Tbody>
                {data.tags.map((t) => {
                  const ended = t.end_ts !== undefined && t.end_ts <= now;
                  return (
                    <Tr key={`${t.name}@${t.start_ts}@${t.manifest_digest}`}>
                      <Td dataLabel="Tag">
                        {t.name} {ended ? <Label color="grey">ended</Label> : <Label color="green">live</Label>}
                      </Td>
                      <Td dataLabel="Manifest" className="berth-mono">
                        {shortDigest(t.manifest_digest)}
                      </Td>
                      <Td dataLabel="From">{when(t.start_ts)}</Td>
                      <Td dataLabel="Until">{t.end_ts !== undefined ? when(t.end_ts) : "—"}</Td>
                      <Td dataLabel="Actions">
                        {ended && repo.can_write && (
                          <ConfirmButton
                            label="Restore"
                            variant="secondary"
                            ariaLabel={`Restore ${t.name} to ${shortDigest(t.manifest_digest)}`}
                            title={`Restore ${t.name}?`}
                            body={<p>{t.name} will point at {shortDigest(t.manifest_digest)} again.</p>}
                            onConfirm={() => act(`Restored ${t.name}`, () => api.post(`${repoPath}/tag/${encodeURIComponent(t.name)}/restore`, { manifest_digest: t.manifest_digest }))}
                          />
                        )}
                      </Td>
                    </Tr>
                  );
                })}
              </Tbody>
            </Table>
            <Pagination itemCount={(page - 1) * LIMIT + data.tags.length + (data.has_additional ? 1 : 0)} perPage={LIMIT} page={page} onSetPage={(_e, p) => setPage(p)} perPageOptions={[]} isCompact aria-label="History pages" />
          </>
        )}
      </Async>
    </div>
  );
}
