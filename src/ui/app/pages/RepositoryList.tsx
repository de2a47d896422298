// Repositories across namespaces: filters (namespace, starred, public only), search, pagination,
// star, create. Pages of the API list (100 a page) load one after the other; the first renders at
// once and the table pages through what is loaded.
import {
  Button,
  Checkbox,
  FormSelect,
  FormSelectOption,
  PageSection,
  Pagination,
  SearchInput,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from "@patternfly/react-core";
import { StarIcon, OutlinedStarIcon } from "@patternfly/react-icons";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useEffect, useMemo, useState } from "react";
import { api, seg } from "../api/client";
import { useAction } from "../useAction";
import type { RepoSummary } from "../api/types";
import { when } from "../logic/format";
import { Empty, Failed, Loading, ActionResult } from "../components/Status";
import { CreateRepositoryButton } from "./CreateRepository";
import { navigate, useLocation, withQuery } from "../router";
import { useSession } from "../session";
import { useFirstRowsMark } from "../firstRender";

const PER_PAGE = 20;

/** Every page of a repository list, calling back after each. */
function useRepositoryList(source: string) {
  const [repos, setRepos] = useState<RepoSummary[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let stopped = false;
    setRepos(undefined);
    setError(undefined);
    setDone(false);
    (async () => {
      let next: string | undefined;
      let all: RepoSummary[] = [];
      do {
        const page = await api.get<{ repositories: RepoSummary[]; next_page?: string }>(`/api/v1/repository?${source}&last_modified=true${next ? `&next_page=${encodeURIComponent(next)}` : ""}`);
        if (stopped) return;
        all = [...all, ...page.repositories];
        setRepos(all);
        next = page.next_page;
      } while (next);
      setDone(true);
    })().catch((e) => !stopped && setError(e));
    return () => {
      stopped = true;
    };
  }, [source, generation]);
  return { repos, error, done, reload: () => setGeneration((g) => g + 1), setRepos };
}

export function RepositoryListPage() {
  const { user } = useSession();
  const { path, query } = useLocation();
  const namespace = query.get("namespace") ?? "";
  const starred = query.get("starred") === "true";
  const publicOnly = query.get("public") === "true";
  const search = query.get("q") ?? "";
  const [page, setPage] = useState(1);
  const { result, fail } = useAction();
  const source = starred ? "starred=true" : namespace ? `namespace=${encodeURIComponent(namespace)}` : "public=true";
  const list = useRepositoryList(source);
  const namespaces = user ? [user.username, ...(user.organizations ?? []).map((o) => o.name)] : [];
  const shown = useMemo(() => {
    const needle = search.toLowerCase();
    return (list.repos ?? []).filter(
      (r) => (!publicOnly || r.is_public) && (!needle || `${r.namespace}/${r.name}`.toLowerCase().includes(needle) || (r.description ?? "").toLowerCase().includes(needle)),
    );
  }, [list.repos, search, publicOnly]);
  useEffect(() => setPage(1), [source, search, publicOnly]);
  const set = (changes: Record<string, string | undefined>) => navigate(withQuery(path, query, changes), true);

  const toggleStar = async (r: RepoSummary) => {
    try {
      if (r.is_starred) await api.delete(`/api/v1/user/starred/${seg(r.namespace)}/${seg(r.name)}`);
      else await api.post("/api/v1/user/starred", { namespace: r.namespace, repository: r.name });
      list.setRepos((all) => all?.map((x) => (x === r ? { ...x, is_starred: !r.is_starred } : x)));
    } catch (e) {
      fail(e);
    }
  };

  const rows = shown.slice((page - 1) * PER_PAGE, page * PER_PAGE);
  useFirstRowsMark("repositories", rows.length > 0);
  return (
    <PageSection>
      <Title headingLevel="h1">Repositories</Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput aria-label="Search repositories" placeholder="Search by name or description" value={search} onChange={(_e, v) => set({ q: v || undefined })} onClear={() => set({ q: undefined })} />
          </ToolbarItem>
          {user && (
            <ToolbarItem>
              <FormSelect aria-label="Namespace" value={starred ? "*starred" : namespace} onChange={(_e, v) => set(v === "*starred" ? { starred: "true", namespace: undefined } : { namespace: v || undefined, starred: undefined })}>
                <FormSelectOption value="" label="All namespaces" />
                <FormSelectOption value="*starred" label="Starred" />
                {namespaces.map((n) => (
                  <FormSelectOption key={n} value={n} label={n} />
                ))}
              </FormSelect>
            </ToolbarItem>
          )}
          <ToolbarItem>
            <Checkbox id="public-only" label="Public only" isChecked={publicOnly} onChange={(_e, v) => set({ public: v ? "true" : undefined })} />
          </ToolbarItem>
          {user && (
            <ToolbarItem>
              <CreateRepositoryButton user={user} defaultNamespace={namespace || user.username} />
            </ToolbarItem>
          )}
          <ToolbarItem variant="pagination" align={{ default: "alignEnd" }}>
            <Pagination itemCount={shown.length} perPage={PER_PAGE} page={page} onSetPage={(_e, p) => setPage(p)} perPageOptions={[]} isCompact aria-label="Repository pages" />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <ActionResult result={result} />
      {list.error ? (
        <Failed error={list.error} what="repositories" />
      ) : !list.repos ? (
        <Loading what="repositories" />
      ) : shown.length === 0 ? (
        <Empty title={list.done ? "No repositories" : "Loading…"}>
          {search || publicOnly ? "Nothing matches these filters." : user ? "Create one, or push an image: the repository is created on the first push." : "Sign in to see private repositories."}
        </Empty>
      ) : (
        <Table role="table" aria-label="Repositories" variant="compact">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Visibility</Th>
              <Th>Description</Th>
              <Th>Last modified</Th>
              {user && <Th screenReaderText="Star" />}
            </Tr>
          </Thead>
          <Tbody>
            {rows.map((r) => (
              <Tr key={`${r.namespace}/${r.name}`}>
                <Td dataLabel="Name">
                  <a href={`/repository/${seg(r.namespace)}/${seg(r.name)}`}>
                    {r.namespace}/{r.name}
                  </a>
                </Td>
                <Td dataLabel="Visibility">{r.is_public ? "public" : "private"}</Td>
                <Td dataLabel="Description">{r.description}</Td>
                <Td dataLabel="Last modified">{when(r.last_modified)}</Td>
                {user && (
                  <Td dataLabel="Star">
                    <Button variant="plain" aria-pressed={!!r.is_starred} aria-label={`${r.is_starred ? "Unstar" : "Star"} ${r.namespace}/${r.name}`} onClick={() => toggleStar(r)}>
                      {r.is_starred ? <StarIcon /> : <OutlinedStarIcon />}
                    </Button>
                  </Td>
                )}
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}
