// Create a repository in one of the namespaces the user may create in (POST /api/v1/repository).
import { TextArea, FormGroup } from "@patternfly/react-core";
import { useState } from "react";
import { api, seg } from "../api/client";
import type { CurrentUser } from "../api/types";
import { SelectField, TextField } from "../components/Field";
import { FormModalButton } from "../components/FormModal";
import { navigate } from "../router";

export function CreateRepositoryButton({ user, defaultNamespace }: { user: CurrentUser; defaultNamespace: string }) {
  const namespaces = [user.username, ...(user.organizations ?? []).filter((o) => o.can_create_repo || o.is_org_admin).map((o) => o.name)];
  const [namespace, setNamespace] = useState(defaultNamespace);
  const [name, setName] = useState("");
  const [visibility, setVisibility] = useState("private");
  const [description, setDescription] = useState("");
  return (
    <FormModalButton
      label="Create repository"
      title="Create repository"
      submitLabel="Create"
      onOpen={() => setNamespace(namespaces.includes(defaultNamespace) ? defaultNamespace : user.username)}
      onSubmit={async () => {
        await api.post("/api/v1/repository", { namespace, repository: name, visibility, description, repo_kind: "image" });
        navigate(`/repository/${seg(namespace)}/${seg(name)}`);
      }}
    >
      <SelectField label="Namespace" value={namespace} onChange={setNamespace} options={namespaces.map((n) => [n, n])} />
      <TextField label="Repository name" value={name} onChange={setName} isRequired />
      <SelectField label="Visibility" value={visibility} onChange={setVisibility} options={[["private", "Private"], ["public", "Public"]]} />
      <FormGroup label="Description" fieldId="repo-description">
        <TextArea id="repo-description" value={description} onChange={(_e, v) => setDescription(v)} />
      </FormGroup>
    </FormModalButton>
  );
}
