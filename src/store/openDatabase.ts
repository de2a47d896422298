// Which database the stores open: PostgreSQL when a URL is given (`--database`), else SQLite in
// the data directory.
import { openStores, type StoreOptions, type Stores } from ".";
import { openPgStores } from "./pgStores";

export function openStoresOn(database: string | undefined, opts: StoreOptions & { onError?: (e: unknown) => void }): Promise<Stores> {
  return database ? openPgStores(database, opts) : Promise.resolve(openStores(opts));
}
