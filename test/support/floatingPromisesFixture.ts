// Cases for test/unit/architecture/floatingPromises.test.ts: each line marked `// found` must be
// reported, every other line not. Never imported.
const later = async (n: number) => n;
const running = new Map<string, Promise<number>>();
declare const db: { transaction<T>(body: () => T): T };

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
  return [same, shown, many, all, negated];
}
