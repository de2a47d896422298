// The metadata half of `berth migrate`: every copied table (copiedTables.ts: the schema's own
// list, parents first) read from the source in key order and batches, and inserted into the
// target in one transaction (MetadataTarget.load: triggers off, sequences moved past the ids).
import type { CopiedTable } from "../../store/copy/copiedTables";
import type { MetadataTarget, SourceReader } from "../../store/copy/ends";

/** Bound parameters per insert, under SQLite's 32766 and PostgreSQL's 65535. */
const PARAMETERS_PER_BATCH = 20_000;
const MAX_BATCH_ROWS = 1000;

export async function copyRows(reader: SourceReader, target: MetadataTarget, tables: CopiedTable[], progress: (line: string) => void): Promise<Map<string, number>> {
  const copied = new Map<string, number>();
  const sequences = await reader.sequences(tables);
  await target.load(tables, sequences, async (writer) => {
    for (const table of tables) {
      const size = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(PARAMETERS_PER_BATCH / table.columnCount)));
      let n = 0;
      let lastReport = performance.now();
      for await (const batch of reader.batches(table, size)) {
        await writer.insert(table, batch);
        n += batch.length;
        if (performance.now() - lastReport > 2000) {
          lastReport = performance.now();
          progress(`  ${table.name}: ${n} rows so far`);
        }
      }
      copied.set(table.name, n);
      progress(`  ${table.name}: ${n} rows`);
    }
  });
  return copied;
}
