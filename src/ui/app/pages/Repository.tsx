// One repository: its tabs are deep links (?tab=tags|history|logs|settings, &manifest=<digest>).
import { Label, PageSection, Tab, Tabs, TabTitleText, Title } from "@patternfly/react-core";
import { seg } from "../api/client";
import type { RepoDetail } from "../api/types";
import { Failed } from "../components/Status";
import { useApi } from "../useApi";
import { navigate, useLocation, withQuery } from "../router";
import { TagsTab } from "./repo/Tags";
import { HistoryTab } from "./repo/TagHistory";
import { ManifestView } from "./repo/ManifestView";
import { LogsView } from "./LogsView";
import { RepositorySettings } from "./repo/Settings";

export function RepositoryPage({ namespace, name }: { namespace: string; name: string }) {
  const { path, query } = useLocation();
  const repoPath = `/api/v1/repository/${seg(namespace)}/${seg(name)}`;
  const loaded = useApi<RepoDetail>(repoPath);
  const tab = query.get("tab") ?? "tags";
  const manifest = query.get("manifest");
  // The tabs render before the repository's details arrive, so the tag list loads alongside
  // them; until then no write or admin action shows.
  const repo: RepoDetail = loaded.data ?? { namespace, name, is_public: false, can_write: false, can_admin: false };
  const go = (t: string | number) => navigate(withQuery(path, query, { tab: String(t), manifest: undefined }));
  return (
    <PageSection>
      <Title headingLevel="h1">
        {namespace}/{name}
      </Title>
      {loaded.error ? (
        <Failed error={loaded.error} what="the repository" />
      ) : (
          <>
            <p>
              {loaded.data && <Label color={repo.is_public ? "green" : "grey"}>{repo.is_public ? "public" : "private"}</Label>}{" "}
              {repo.state && repo.state !== "NORMAL" && <Label color="orange">{repo.state.toLowerCase()}</Label>} {repo.description}
            </p>
            <Tabs activeKey={tab} onSelect={(_e, k) => go(k)} aria-label="Repository sections" mountOnEnter unmountOnExit>
              <Tab eventKey="tags" title={<TabTitleText>Tags</TabTitleText>}>
                {manifest ? <ManifestView repoPath={repoPath} repo={repo} digest={manifest} /> : <TagsTab repoPath={repoPath} repo={repo} />}
              </Tab>
              <Tab eventKey="history" title={<TabTitleText>Tag history</TabTitleText>}>
                <HistoryTab repoPath={repoPath} repo={repo} />
              </Tab>
              {repo.can_admin && (
                <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
                  <LogsView base={repoPath} />
                </Tab>
              )}
              {repo.can_admin && (
                <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
                  <RepositorySettings repoPath={repoPath} repo={repo} onChange={loaded.reload} />
                </Tab>
              )}
            </Tabs>
          </>
      )}
    </PageSection>
  );
}
