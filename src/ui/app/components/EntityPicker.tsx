// The entity typeahead (Quay's): users, robots and, within an organization, teams whose names
// start with what is typed, from GET /api/v1/entities/<prefix>. Suggestions are buttons in a
// list, reachable with Tab; choosing one fills the field.
import { Button, FormGroup, List, ListItem, TextInput } from "@patternfly/react-core";
import { useEffect, useId, useState } from "react";
import { api, seg } from "../api/client";
import type { Entity } from "../api/types";

export function EntityPicker(props: { label: string; namespace?: string; includeTeams?: boolean; value: Entity | null; onChange: (e: Entity | null) => void }) {
  const id = useId();
  const [text, setText] = useState(props.value?.name ?? "");
  const [found, setFound] = useState<Entity[]>([]);
  useEffect(() => {
    if (!text || props.value?.name === text) {
      setFound([]);
      return;
    }
    const q = new URLSearchParams();
    if (props.namespace) q.set("namespace", props.namespace);
    if (props.includeTeams) q.set("includeTeams", "true");
    const timer = setTimeout(() => {
      api.get<{ results: Entity[] }>(`/api/v1/entities/${seg(text)}?${q}`).then(
        (r) => setFound(r.results.slice(0, 8)),
        () => setFound([]),
      );
    }, 150);
    return () => clearTimeout(timer);
  }, [text, props.namespace, props.includeTeams, props.value?.name]);
  return (
    <FormGroup label={props.label} fieldId={id}>
      <TextInput
        id={id}
        value={text}
        autoComplete="off"
        onChange={(_e, v) => {
          setText(v);
          props.onChange(null);
        }}
      />
      {found.length > 0 && (
        <List isPlain aria-label="Matching users, robots and teams">
          {found.map((e) => (
            <ListItem key={`${e.kind}:${e.name}`}>
              <Button
                variant="link"
                isInline
                onClick={() => {
                  setText(e.name);
                  setFound([]);
                  props.onChange(e);
                }}
              >
                {e.name} ({e.kind === "user" && e.is_robot ? "robot" : e.kind})
              </Button>
            </ListItem>
          ))}
        </List>
      )}
    </FormGroup>
  );
}
