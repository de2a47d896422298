// A labelled text field (the label is tied to the input, for screen readers and for tests).
import { FormGroup, FormSelect, FormSelectOption, TextInput } from "@patternfly/react-core";
import { useId } from "react";

export function TextField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  type?: "text" | "password" | "email" | "number" | "datetime-local";
  isRequired?: boolean;
  autoComplete?: string;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <FormGroup label={props.label} fieldId={id} isRequired={props.isRequired}>
      <TextInput
        id={id}
        name={props.label}
        type={props.type ?? "text"}
        value={props.value}
        onChange={(_e, v) => props.onChange(v)}
        isRequired={props.isRequired}
        autoComplete={props.autoComplete}
        placeholder={props.placeholder}
      />
    </FormGroup>
  );
}

export function SelectField(props: { label: string; value: string; onChange: (v: string) => void; options: [string, string][] }) {
  const id = useId();
  return (
    <FormGroup label={props.label} fieldId={id}>
      <FormSelect id={id} value={props.value} onChange={(_e, v) => props.onChange(v)}>
        {props.options.map(([value, text]) => (
          <FormSelectOption key={value} value={value} label={text} />
        ))}
      </FormSelect>
    </FormGroup>
  );
}
