// The live tags, a page of the API at a time (100 a page, so 5,000 tags render as fast as 50):
// size, last modified, expiry, immutability, the children of an index, pull commands; delete,
// add or move a tag, set its expiry, make it (im)mutable.
import { Button, ExpandableSection, Label, Pagination, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr, ExpandableRowContent } from "@patternfly/react-table";
import { useState } from "react";
import { api, seg } from "../../api/client";
import type { RepoDetail, Tag, TagPage } from "../../api/types";
import { bytes, shortDigest, when } from "../../logic/format";
import { CopyText } from "../../components/CopyText";
import { ConfirmButton } from "../../components/Confirm";
import { ActionResult, Async } from "../../components/Status";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";
import { useSession } from "../../session";
import { pullCommands } from "../../logic/pullCommands";
import { IndexChildren } from "./IndexChildren";
import { ExpiryButton, RetagButton } from "./TagActions";
import { useFirstRowsMark } from "../../firstRender";

const LIMIT = 100;

export function TagsTab({ repoPath, repo }: { repoPath: string; repo: RepoDetail }) {
  const { config } = useSession();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const loaded = useApi<TagPage>(`${repoPath}/tag/?onlyActiveTags=true&limit=${LIMIT}&page=${page}`);
  const host = config.config.SERVER_HOSTNAME;
  const full = `${repo.namespace}/${repo.name}`;
  const { result, act } = useAction(loaded.reload);
  useFirstRowsMark("tags", (loaded.data?.tags.length ?? 0) > 0);
  const known = loaded.data ? (page - 1) * LIMIT + loaded.data.tags.length + (loaded.data.has_additional ? 1 : 0) : 0;
  return (
    <div className="berth-gap">
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem variant="pagination" align={{ default: "alignEnd" }}>
            <Pagination
              itemCount={known}
              toggleTemplate={() => <>page {page}</>}
              perPage={LIMIT}
              page={page}
              onSetPage={(_e, p) => setPage(p)}
              perPageOptions={[]}
              isCompact
              aria-label="Tag pages"
            />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <ActionResult result={result} />
      <Async what="tags" loaded={loaded} isEmpty={(d) => d.tags.length === 0} empty={<EmptyTags host={host} full={full} />}>
        {(data) => (
          <Table role="table" aria-label="Tags" variant="compact">
            <Thead>
              <Tr>
                <Th screenReaderText="Details" />
                <Th>Tag</Th>
                <Th>Manifest</Th>
                <Th>Size</Th>
                <Th>Last modified</Th>
                <Th>Expires</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            {data.tags.map((t, i) => (
              <TagRow
                key={t.name}
                tag={t}
                index={i}
                repo={repo}
                isOpen={open === t.name}
                toggle={() => setOpen(open === t.name ? null : t.name)}
                host={host}
                repoPath={repoPath}
                act={act}
              />
            ))}
          </Table>
        )}
      </Async>
    </div>
  );
}

function EmptyTags({ host, full }: { host: string; full: string }) {
  return (
    <div>
      <p>This repository has no tags yet. Push one:</p>
      <CopyText label="podman push command" value={`podman push ${host}/${full}:latest`} />
    </div>
  );
}

function TagRow(props: {
  tag: Tag;
  index: number;
  repo: RepoDetail;
  isOpen: boolean;
  toggle: () => void;
  host: string;
  repoPath: string;
  act: (what: string, run: () => Promise<unknown>) => Promise<void>;
}) {
  const { tag: t, repo, repoPath, act } = props;
  const full = `${repo.namespace}/${repo.name}`;
  const cmds = pullCommands(props.host, full, t.name);
  const manifestHref = `/repository/${seg(repo.namespace)}/${seg(repo.name)}?tab=tags&manifest=${encodeURIComponent(t.manifest_digest)}`;
  const tagPath = `${repoPath}/tag/${encodeURIComponent(t.name)}`;
  return (
    <Tbody isExpanded={props.isOpen}>
      <Tr>
        <Td expand={{ rowIndex: props.index, isExpanded: props.isOpen, onToggle: props.toggle, expandId: `tag-${t.name}` }} />
        <Td dataLabel="Tag">
          {t.name} {t.immutable && <Label color="blue">immutable</Label>} {t.is_manifest_list && <Label color="purple">index</Label>}
        </Td>
        <Td dataLabel="Manifest">
          <a href={manifestHref} className="berth-mono" aria-label={`${shortDigest(t.manifest_digest)}, manifest of ${t.name}`}>
            {shortDigest(t.manifest_digest)}
          </a>
        </Td>
        <Td dataLabel="Size">{bytes(t.size)}</Td>
        <Td dataLabel="Last modified">{when(t.last_modified)}</Td>
        <Td dataLabel="Expires">{t.expiration ? when(t.expiration) : "never"}</Td>
        <Td dataLabel="Actions" isActionCell>
          {repo.can_write && (
            <ConfirmButton
              label="Delete"
              ariaLabel={`Delete tag ${t.name}`}
              title={`Delete tag ${t.name}?`}
              body={<p>The tag ends now; it stays in the tag history and can be restored within the time machine window.</p>}
              onConfirm={() => act(`Deleted ${t.name}`, () => api.delete(tagPath))}
            />
          )}
        </Td>
      </Tr>
      {/* Built only when open: three copy fields with tooltips a row made 100 rows render slowly. */}
      {props.isOpen && (
        <Tr isExpanded={props.isOpen}>
          <Td colSpan={7}>
            <ExpandableRowContent>
              <div className="berth-gap">
                {repo.can_write && (
                  <div>
                    <RetagButton tag={t} repoPath={repoPath} act={act} />
                    <ExpiryButton tag={t} repoPath={repoPath} act={act} />
                    <Button variant="link" onClick={() => act(`${t.name} is ${t.immutable ? "mutable" : "immutable"} now`, () => api.put(tagPath, { immutable: !t.immutable })).catch(() => {})}>
                      {t.immutable ? "Make mutable" : "Make immutable"}
                    </Button>
                  </div>
                )}
                <CopyText label={`docker pull ${t.name}`} value={cmds.docker} />
                <CopyText label={`podman pull ${t.name}`} value={cmds.podman} />
                <CopyText label={`pull by digest`} value={pullCommands(props.host, full, t.manifest_digest).podman} />
                {t.is_manifest_list && props.isOpen && (
                  <ExpandableSection toggleText="Platforms" isExpanded>
                    <IndexChildren repoPath={repoPath} repo={repo} digest={t.manifest_digest} />
                  </ExpandableSection>
                )}
              </div>
            </ExpandableRowContent>
          </Td>
        </Tr>
      )}
    </Tbody>
  );
}
