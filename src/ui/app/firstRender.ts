// A performance mark when a list first shows rows (`berth:<name>`): what the benchmark reads
// (scripts/ui-bench.ts), from navigation start, without the test driver's polling in the figure.
import { useEffect } from "react";

export function useFirstRowsMark(name: string, hasRows: boolean): void {
  useEffect(() => {
    if (hasRows && performance.getEntriesByName(`berth:${name}`).length === 0) performance.mark(`berth:${name}`);
  }, [name, hasRows]);
}
