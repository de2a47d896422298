// The three states every list and page has besides its data: loading, error, empty.
import { Alert, Bullseye, EmptyState, EmptyStateBody, Spinner } from "@patternfly/react-core";
import type { ReactNode } from "react";
import { message } from "../api/client";

export function Loading({ what }: { what: string }) {
  return (
    <Bullseye>
      <Spinner size="lg" aria-label={`Loading ${what}`} />
    </Bullseye>
  );
}

export function Failed({ error, what }: { error: unknown; what: string }) {
  return (
    <Alert variant="danger" isInline title={`Could not load ${what}`} role="alert">
      {message(error)}
    </Alert>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <EmptyState titleText={title} headingLevel="h2" variant="sm">
      {children ? <EmptyStateBody>{children}</EmptyStateBody> : null}
    </EmptyState>
  );
}

/** Renders loading, error or empty for a load, else the children with the data. */
export function Async<T>(props: {
  what: string;
  loaded: { data: T | undefined; error: unknown; loading: boolean };
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { data, error, loading } = props.loaded;
  if (error) return <Failed error={error} what={props.what} />;
  if (data === undefined) return loading ? <Loading what={props.what} /> : null;
  if (props.isEmpty?.(data)) return <>{props.empty ?? <Empty title={`No ${props.what}`} />}</>;
  return <>{props.children(data)}</>;
}

/** The outcome of the last action on a page: a success note or the API's error message. */
export function ActionResult({ result }: { result: { ok: boolean; text: string } | null }) {
  if (!result) return null;
  return (
    <Alert variant={result.ok ? "success" : "danger"} isInline isPlain title={result.text} role={result.ok ? "status" : "alert"} />
  );
}
