// Sign in, sign up (when the registry allows it) and the first account (user initialize).
import { ActionGroup, Alert, Button, Card, CardBody, CardTitle, Form, PageSection, Title } from "@patternfly/react-core";
import { useState } from "react";
import { api, message } from "../api/client";
import { TextField } from "../components/Field";
import { navigate, useLocation } from "../router";
import { useSession } from "../session";

function next(query: URLSearchParams): string {
  const to = query.get("redirect") ?? "/repository";
  return to.startsWith("/") && !to.startsWith("//") ? to : "/repository";
}

export function SignInPage() {
  const { signIn, config } = useSession();
  const { query } = useLocation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e?: { preventDefault(): void }) => {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
      navigate(next(query), true);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <PageSection className="berth-narrow">
      <Card>
        <CardTitle>
          <Title headingLevel="h1">Sign in to {config.config.REGISTRY_TITLE || "Berth"}</Title>
        </CardTitle>
        <CardBody>
          {error && <Alert variant="danger" isInline title={error} role="alert" />}
          <Form onSubmit={submit}>
            <TextField label="Username" value={username} onChange={setUsername} isRequired autoComplete="username" />
            <TextField label="Password" type="password" value={password} onChange={setPassword} isRequired autoComplete="current-password" />
            <ActionGroup>
              <Button type="submit" isLoading={busy} isDisabled={busy}>
                Sign in
              </Button>
              {config.features.USER_CREATION && (
                <Button variant="link" component="a" href="/signup">
                  Create account
                </Button>
              )}
              {config.features.USER_INITIALIZE && (
                <Button variant="link" component="a" href="/signup?first=1">
                  Create the first account
                </Button>
              )}
            </ActionGroup>
          </Form>
        </CardBody>
      </Card>
    </PageSection>
  );
}

export function SignUpPage() {
  const { refresh, config } = useSession();
  const { query } = useLocation();
  const first = query.get("first") === "1";
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const allowed = first ? config.features.USER_INITIALIZE : config.features.USER_CREATION;
  const submit = async (e?: { preventDefault(): void }) => {
    e?.preventDefault();
    setError(null);
    try {
      // The first account signs in at once; a sign-up does too (Quay's, without mail verification).
      await api.post(first ? "/api/v1/user/initialize" : "/api/v1/user/", { username, email, password });
      await refresh();
      navigate("/repository", true);
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <PageSection className="berth-narrow">
      <Card>
        <CardTitle>
          <Title headingLevel="h1">{first ? "Create the first account" : "Create an account"}</Title>
        </CardTitle>
        <CardBody>
          {!allowed ? (
            <Alert variant="info" isInline title="This registry does not take new accounts here" />
          ) : (
            <>
              {error && <Alert variant="danger" isInline title={error} role="alert" />}
              <Form onSubmit={submit}>
                <TextField label="Username" value={username} onChange={setUsername} isRequired autoComplete="username" />
                <TextField label="Email" type="email" value={email} onChange={setEmail} autoComplete="email" />
                <TextField label="Password" type="password" value={password} onChange={setPassword} isRequired autoComplete="new-password" />
                <ActionGroup>
                  <Button type="submit">{first ? "Create and sign in" : "Create account"}</Button>
                  <Button variant="link" component="a" href="/signin">
                    Sign in instead
                  </Button>
                </ActionGroup>
              </Form>
            </>
          )}
        </CardBody>
      </Card>
    </PageSection>
  );
}
