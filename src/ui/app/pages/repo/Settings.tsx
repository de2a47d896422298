// Repository settings (admins): description, visibility, permissions, notifications, delete.
import { ActionGroup, Button, Form, FormGroup, TextArea, Title } from "@patternfly/react-core";
import { useAction } from "../../useAction";
import { useEffect, useState } from "react";
import { api } from "../../api/client";
import type { RepoDetail } from "../../api/types";
import { ConfirmButton } from "../../components/Confirm";
import { ActionResult } from "../../components/Status";
import { navigate } from "../../router";
import { Permissions } from "./Permissions";
import { Notifications } from "./Notifications";

export function RepositorySettings({ repoPath, repo, onChange }: { repoPath: string; repo: RepoDetail; onChange: () => void }) {
  const [description, setDescription] = useState(repo.description ?? "");
  useEffect(() => setDescription(repo.description ?? ""), [repo.description]);
  const { result, run } = useAction(onChange);
  const full = `${repo.namespace}/${repo.name}`;
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <Title headingLevel="h2">Description</Title>
      <Form
        onSubmit={(e) => {
          e.preventDefault();
          void run("Description saved", () => api.put(repoPath, { description }));
        }}
      >
        <FormGroup label="Description" fieldId="repo-settings-description">
          <TextArea id="repo-settings-description" value={description} onChange={(_e, v) => setDescription(v)} />
        </FormGroup>
        <ActionGroup>
          <Button type="submit">Save description</Button>
        </ActionGroup>
      </Form>
      <Title headingLevel="h2">Visibility</Title>
      <p>This repository is {repo.is_public ? "public: anyone may pull it" : "private: only those granted access may pull it"}.</p>
      <Button variant="secondary" onClick={() => run(`Made ${repo.is_public ? "private" : "public"}`, () => api.post(`${repoPath}/changevisibility`, { visibility: repo.is_public ? "private" : "public" }))}>
        Make {repo.is_public ? "private" : "public"}
      </Button>
      <Permissions repoPath={repoPath} repo={repo} />
      <Notifications repoPath={repoPath} />
      <Title headingLevel="h2">Delete repository</Title>
      <ConfirmButton
        label="Delete repository"
        variant="danger"
        title={`Delete ${full}?`}
        body={<p>Every tag, manifest and permission of {full} goes, for good.</p>}
        onConfirm={async () => {
          await api.delete(repoPath);
          navigate(`/repository?namespace=${encodeURIComponent(repo.namespace)}`);
        }}
      />
    </div>
  );
}
