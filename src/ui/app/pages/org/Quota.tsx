// An organization's quota: the limit and its Warning/Reject thresholds. Everybody who may read the
// organization sees them; superusers (Quay's rule: not organization admins) set, change and
// remove them through the organization's quota endpoints.
import { Button, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { api } from "../../api/client";
import { SelectField, TextField } from "../../components/Field";
import { FormModalButton } from "../../components/FormModal";
import { ActionResult, Async } from "../../components/Status";
import { bytes } from "../../logic/format";
import { useSession } from "../../session";
import { useAction } from "../../useAction";
import { useApi } from "../../useApi";

interface QuotaLimit {
  id: number | string;
  type: string;
  limit_percent: number;
}

interface Quota {
  id: number | string;
  limit_bytes: number;
  limits?: QuotaLimit[];
}

export function Quota({ orgPath }: { orgPath: string }) {
  const { user } = useSession();
  const manages = user?.super_user === true;
  const quota = useApi<Quota[]>(`${orgPath}/quota`);
  const { result, act, run } = useAction(quota.reload);
  const [limit, setLimit] = useState("10 GiB");
  const [type, setType] = useState("Warning");
  const [percent, setPercent] = useState("80");
  const current = quota.data?.[0];
  return (
    <div className="berth-gap">
      <Title headingLevel="h2">Quota</Title>
      <ActionResult result={result} />
      {manages && (
        <FormModalButton
          label={current ? "Change quota" : "Set quota"}
          variant="secondary"
          title={current ? "Change the organization's quota" : "Set a quota for the organization"}
          onOpen={() => setLimit(current ? `${current.limit_bytes}` : "10 GiB")}
          onSubmit={() => {
            // Quay takes a number of bytes or a size with its unit (10 GiB, 500 MiB).
            const body = /^\d+$/.test(limit.trim()) ? { limit_bytes: Number(limit.trim()) } : { limit: limit.trim() };
            return act(current ? "Quota changed" : "Quota set", () => (current ? api.put(`${orgPath}/quota/${current.id}`, body) : api.post(`${orgPath}/quota`, body)));
          }}
        >
          <TextField label="Limit (bytes, or a size such as 10 GiB)" value={limit} onChange={setLimit} isRequired />
        </FormModalButton>
      )}
      <Async what="the quota" loaded={quota} isEmpty={(d) => d.length === 0} empty={<p>No quota.{manages ? "" : " A superuser sets one."}</p>}>
        {(d) => (
          <>
            {d.map((q) => (
              <div key={String(q.id)} className="berth-gap">
                <p>
                  Limit {bytes(q.limit_bytes)}
                  {manages && (
                    <Button variant="link" isDanger onClick={() => run("Quota removed", () => api.delete(`${orgPath}/quota/${q.id}`))}>
                      Remove quota
                    </Button>
                  )}
                </p>
                {manages && (
                  <FormModalButton
                    label="Add limit"
                    variant="secondary"
                    title="Add a quota limit"
                    onOpen={() => {
                      setType("Warning");
                      setPercent("80");
                    }}
                    onSubmit={() => act("Limit added", () => api.post(`${orgPath}/quota/${q.id}/limit`, { type, threshold_percent: Number(percent) }))}
                  >
                    <SelectField label="Kind" value={type} onChange={setType} options={[["Warning", "Warning (a notification)"], ["Reject", "Reject (pushes refused)"]]} />
                    <TextField label="At percent of the quota" value={percent} onChange={setPercent} isRequired />
                  </FormModalButton>
                )}
                {q.limits?.length ? (
                  <Table role="table" aria-label="Quota limits" variant="compact">
                    <Thead>
                      <Tr>
                        <Th>Kind</Th>
                        <Th>At</Th>
                        <Th screenReaderText="Actions" />
                      </Tr>
                    </Thead>
                    <Tbody>
                      {q.limits.map((l) => (
                        <Tr key={String(l.id)}>
                          <Td dataLabel="Kind">{l.type}</Td>
                          <Td dataLabel="At">{l.limit_percent}%</Td>
                          <Td dataLabel="Actions">
                            {manages && (
                              <Button variant="link" isDanger onClick={() => run("Limit removed", () => api.delete(`${orgPath}/quota/${q.id}/limit/${l.id}`))}>
                                Delete
                              </Button>
                            )}
                          </Td>
                        </Tr>
                      ))}
                    </Tbody>
                  </Table>
                ) : (
                  <p>No limits: nothing is refused or announced.</p>
                )}
              </div>
            ))}
          </>
        )}
      </Async>
    </div>
  );
}
