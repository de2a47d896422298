// Cases for test/unit/architecture/floatingPromises.test.ts: each line marked `// found` must be
// reported, every other line not. Never imported.
const later = async (n: number) => n;
const running = new Map<string, Promise<number>>();
declare const db: { transaction<T>(body: () => T): T };
// PostgreSQL's transaction declares an asynchronous body; a runner takes queries it executes itself.
declare const pg: { transaction<T>(body: (tx: unknown) => Promise<T>): Promise<T> };
declare function handed<Q extends { then(): unknown }>(query: Q): void;
declare function anything<Q>(value: Q): void;

export async function cases(list: number[], maybe: Promise<number> | undefined) {
  later(1); // found
  void later(2);
  await later(3);
  list.forEach((n) => later(n)); // found
  running.set("a", later(4));
  const negated = !later(5); // found
  if (maybe) await maybe;
  const same = running.get("a") === maybe;
  const shown = `${later(6)}`; // found
  const body = { value: later(7) }; // found
  const many = { values: list.map((n) => later(n)) }; // found
  const all = { values: await Promise.all(list.map((n) => later(n))) };
  Object.assign(body, later(8)); // found
  db.transaction(async () => await later(9)); // found
  db.transaction(() => list.length);
  await pg.transaction(async () => await later(10));
  handed(later(11));
  anything(later(12)); // found
  return [same, shown, many, all, negated];
}
