// The repositories of one namespace (an organization's or a user's), with a link to each.
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { seg } from "../../api/client";
import type { RepoSummary } from "../../api/types";
import { when } from "../../logic/format";
import { Async } from "../../components/Status";
import { useApi } from "../../useApi";

export function NamespaceRepositories({ namespace }: { namespace: string }) {
  const loaded = useApi<{ repositories: RepoSummary[]; next_page?: string }>(`/api/v1/repository?namespace=${encodeURIComponent(namespace)}&public=true&last_modified=true`);
  return (
    <Async what="repositories" loaded={loaded} isEmpty={(d) => d.repositories.length === 0}>
      {(d) => (
        <>
          <Table role="table" aria-label={`Repositories of ${namespace}`} variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Visibility</Th>
                <Th>Last modified</Th>
              </Tr>
            </Thead>
            <Tbody>
              {d.repositories.map((r) => (
                <Tr key={r.name}>
                  <Td dataLabel="Name">
                    <a href={`/repository/${seg(r.namespace)}/${seg(r.name)}`}>{r.name}</a>
                  </Td>
                  <Td dataLabel="Visibility">{r.is_public ? "public" : "private"}</Td>
                  <Td dataLabel="Last modified">{when(r.last_modified)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          {d.next_page && <a href={`/repository?namespace=${encodeURIComponent(namespace)}`}>All repositories of {namespace}</a>}
        </>
      )}
    </Async>
  );
}
