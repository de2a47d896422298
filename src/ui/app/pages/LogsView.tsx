// Usage logs of a repository, an organization, the user or the whole registry (superuser): a
// chart of actions per day (from aggregatelogs) and the entries, newest first, with "load more"
// following next_page.
import { Button } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Aggregate, LogEntry } from "../api/types";
import { when } from "../logic/format";
import { Async, Failed } from "../components/Status";
import { useApi } from "../useApi";
import { ActionsPerDay } from "./ActionsPerDay";
import { perDay } from "../logic/activity";

export function describe(entry: LogEntry): string {
  const m = entry.metadata ?? {};
  const parts = ["repo", "tag", "manifest_digest", "username", "role", "team", "robot", "member", "entity", "label", "key", "value"]
    .filter((k) => m[k] !== undefined && m[k] !== null && m[k] !== "")
    .map((k) => `${k}: ${String(m[k])}`);
  return parts.join(", ");
}

export function LogsView({ base }: { base: string }) {
  const aggregate = useApi<{ aggregated: Aggregate[] }>(`${base}/aggregatelogs`);
  const first = useApi<{ logs: LogEntry[]; next_page?: string }>(`${base}/logs`);
  const [more, setMore] = useState<LogEntry[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [moreError, setMoreError] = useState<unknown>();
  useEffect(() => {
    setMore([]);
    setNext(first.data?.next_page);
  }, [first.data]);
  const loadMore = async () => {
    try {
      const page = await api.get<{ logs: LogEntry[]; next_page?: string }>(`${base}/logs?next_page=${encodeURIComponent(next!)}`);
      setMore((m) => [...m, ...page.logs]);
      setNext(page.next_page);
    } catch (e) {
      setMoreError(e);
    }
  };
  return (
    <div className="berth-gap">
      <Async what="the activity chart" loaded={aggregate} isEmpty={(d) => d.aggregated.length === 0} empty={null}>
        {(d) => <ActionsPerDay days={perDay(d.aggregated)} />}
      </Async>
      <Async what="usage logs" loaded={first} isEmpty={(d) => d.logs.length === 0}>
        {(d) => (
          <>
            <Table role="table" aria-label="Usage logs" variant="compact">
              <Thead>
                <Tr>
                  <Th>Time</Th>
                  <Th>Action</Th>
                  <Th>Performed by</Th>
                  <Th>Details</Th>
                  <Th>Address</Th>
                </Tr>
              </Thead>
              <Tbody>
                {[...d.logs, ...more].map((e, i) => (
                  <Tr key={i}>
                    <Td dataLabel="Time">{when(e.datetime)}</Td>
                    <Td dataLabel="Action">{e.kind}</Td>
                    <Td dataLabel="Performed by">{e.performer?.name ?? "—"}</Td>
                    <Td dataLabel="Details">{describe(e)}</Td>
                    <Td dataLabel="Address">{e.ip ?? ""}</Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
            {moreError ? <Failed error={moreError} what="more entries" /> : null}
            {next && (
              <Button variant="secondary" onClick={loadMore}>
                Load more
              </Button>
            )}
          </>
        )}
      </Async>
    </div>
  );
}
