// A user's page. Your own: repositories, account settings, app-specific tokens, robots, CLI
// login instructions, usage logs (?tab=…). Someone else's: their repositories you can see.
import { ActionGroup, Button, Form, PageSection, Tab, Tabs, TabTitleText, Title } from "@patternfly/react-core";
import { useState } from "react";
import { api } from "../api/client";
import { useAction } from "../useAction";
import { TextField } from "../components/Field";
import { ActionResult } from "../components/Status";
import { CopyText } from "../components/CopyText";
import { navigate, useLocation, withQuery } from "../router";
import { useSession } from "../session";
import { LogsView } from "./LogsView";
import { NamespaceRepositories } from "./org/NamespaceRepositories";
import { Robots } from "./org/Robots";
import { AppTokens } from "./user/AppTokens";

export function UserPage({ username }: { username: string }) {
  const { user } = useSession();
  const { path, query } = useLocation();
  const mine = user?.username === username;
  const tab = query.get("tab") ?? (mine ? "settings" : "repositories");
  return (
    <PageSection>
      <Title headingLevel="h1">{username}</Title>
      {!mine ? (
        <NamespaceRepositories namespace={username} />
      ) : (
        <Tabs activeKey={tab} onSelect={(_e, k) => navigate(withQuery(path, query, { tab: String(k) }))} aria-label="Account sections" mountOnEnter unmountOnExit>
          <Tab eventKey="settings" title={<TabTitleText>Account settings</TabTitleText>}>
            <AccountSettings />
          </Tab>
          <Tab eventKey="repositories" title={<TabTitleText>Repositories</TabTitleText>}>
            <NamespaceRepositories namespace={username} />
          </Tab>
          <Tab eventKey="tokens" title={<TabTitleText>App-specific tokens</TabTitleText>}>
            <AppTokens />
          </Tab>
          <Tab eventKey="robots" title={<TabTitleText>Robot accounts</TabTitleText>}>
            <Robots base="/api/v1/user" namespace={username} />
          </Tab>
          <Tab eventKey="cli" title={<TabTitleText>CLI login</TabTitleText>}>
            <CliLogin />
          </Tab>
          <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
            <LogsView base="/api/v1/user" />
          </Tab>
        </Tabs>
      )}
    </PageSection>
  );
}

function AccountSettings() {
  const { user, refresh } = useSession();
  const [email, setEmail] = useState(user?.email ?? "");
  const [password, setPassword] = useState("");
  const { result, run } = useAction(() => {
    setPassword("");
    void refresh();
  });
  const save = (done: string, body: unknown) => run(done, () => api.put("/api/v1/user/", body));
  return (
    <div className="berth-gap">
      <ActionResult result={result} />
      <Form
        onSubmit={(e) => {
          e.preventDefault();
          void save("Email saved", { email });
        }}
      >
        <TextField label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" />
        <ActionGroup>
          <Button type="submit">Save email</Button>
        </ActionGroup>
      </Form>
      <Form
        onSubmit={(e) => {
          e.preventDefault();
          void save("Password changed", { password });
        }}
      >
        <TextField label="New password" type="password" value={password} onChange={setPassword} autoComplete="new-password" />
        <ActionGroup>
          <Button type="submit">Change password</Button>
        </ActionGroup>
      </Form>
    </div>
  );
}

function CliLogin() {
  const { config, user } = useSession();
  const host = config.config.SERVER_HOSTNAME;
  const insecure = config.config.PREFERRED_URL_SCHEME === "http";
  return (
    <div className="berth-gap">
      <p>Sign the container tools in with your username and password, or better, an app-specific token as the password (App-specific tokens tab).</p>
      <Title headingLevel="h2">Docker CLI</Title>
      <CopyText label="docker login command" value={`docker login ${host} -u ${user?.username ?? ""}`} />
      <Title headingLevel="h2">podman</Title>
      <CopyText label="podman login command" value={`podman login ${insecure ? "--tls-verify=false " : ""}${host} -u ${user?.username ?? ""}`} />
      {insecure && <p>This registry answers plain HTTP: Docker needs it among its insecure-registries.</p>}
    </div>
  );
}
