// The images an index (multi-arch manifest list) names: platform, digest, size; each links to
// its manifest view.
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { seg } from "../../api/client";
import type { Manifest, RepoDetail } from "../../api/types";
import { bytes, shortDigest } from "../../logic/format";
import { Async } from "../../components/Status";
import { useApi } from "../../useApi";

interface Child {
  digest: string;
  size?: number;
  mediaType?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export function childrenOf(manifest: Manifest): Child[] {
  try {
    const parsed = JSON.parse(manifest.manifest_data) as { manifests?: Child[] };
    return parsed.manifests ?? [];
  } catch {
    return [];
  }
}

export function IndexChildren({ repoPath, repo, digest }: { repoPath: string; repo: RepoDetail; digest: string }) {
  const loaded = useApi<Manifest>(`${repoPath}/manifest/${encodeURIComponent(digest)}`);
  return (
    <Async what="the index" loaded={loaded} isEmpty={(m) => childrenOf(m).length === 0}>
      {(m) => (
        <Table role="table" aria-label="Platforms" variant="compact">
          <Thead>
            <Tr>
              <Th>Platform</Th>
              <Th>Manifest</Th>
              <Th>Size</Th>
            </Tr>
          </Thead>
          <Tbody>
            {childrenOf(m).map((c) => (
              <Tr key={c.digest}>
                <Td dataLabel="Platform">{c.platform ? [c.platform.os, c.platform.architecture, c.platform.variant].filter(Boolean).join("/") : "—"}</Td>
                <Td dataLabel="Manifest">
                  <a className="berth-mono" href={`/repository/${seg(repo.namespace)}/${seg(repo.name)}?tab=tags&manifest=${encodeURIComponent(c.digest)}`}>
                    {shortDigest(c.digest)}
                  </a>
                </Td>
                <Td dataLabel="Size">{bytes(c.size)}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </Async>
  );
}
