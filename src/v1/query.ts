import { ApiError } from "./errors";

// Query-string conventions Quay's endpoints share (reference §1.9).

/** The spellings Quay's truthy_bool reads as false; every other value (`True`, `1`, `yes`) is true. */
const FALSE_SPELLINGS = new Set(["false", "False", "FALSE", "0", "", "null"]);

/** Quay's truthy_bool: one rule for every boolean query parameter, so `True` from Python clients works. */
export function truthy(value: string): boolean {
  return !FALSE_SPELLINGS.has(value);
}

/** A boolean query parameter: `fallback` when absent, else Quay's truthy_bool. */
export function queryFlag(query: Record<string, string | undefined>, name: string, fallback = false): boolean {
  const value = query[name];
  return value === undefined ? fallback : truthy(value);
}

/** Quay's `type=int` query parameters: absent or empty is `fallback`, anything but an integer a 400 naming it. */
export function intQuery(query: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = query[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw)) throw ApiError.invalidRequest(`${name}: must be an integer`, { field: name });
  return Number(raw);
}

/** `limit` for token-paged superuser lists: absent means "everything", at most 100. */
function pageLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw ApiError.invalidRequest("limit: must be a positive integer", { field: "limit" });
  if (n > 100) throw ApiError.invalidRequest("Page limit cannot be above 100", { field: "limit" });
  return n;
}

/**
 * The `next_page` cursor: the last id of the previous page. Quay encrypts its cursor; ours names
 * nothing secret, so it is plain. An unreadable one means the first page, as in Quay.
 */
const pageCursor = {
  read(token: string | undefined): number | undefined {
    if (!token) return undefined;
    const id = Number(Buffer.from(token, "base64url").toString("utf8"));
    return Number.isSafeInteger(id) && id >= 0 ? id : undefined;
  },
  write(lastId: number): string {
    return Buffer.from(String(lastId)).toString("base64url");
  },
};

/**
 * The `next_page` cursor of name-ordered listings (repositories, stars): the last name of the
 * previous page, plain for the same reason.
 */
export const nameCursor = {
  read(token: string | undefined): string | undefined {
    return token ? Buffer.from(token, "base64url").toString("utf8") : undefined;
  },
  write(lastName: string): string {
    return Buffer.from(lastName).toString("base64url");
  },
};

/**
 * Quay's token paging for the superuser lists: without `limit` every row, else `limit` rows after
 * the `next_page` cursor and, when more exist, the cursor of the next page. `fetch` reads rows in
 * id order after `afterId`, at most `limit` of them.
 */
export async function idPage<T extends { id: number }>(
  query: { limit?: string; next_page?: string },
  fetch: (window: { afterId?: number; limit?: number }) => T[] | Promise<T[]>,
): Promise<{ page: T[]; next_page?: string }> {
  const limit = pageLimit(query.limit);
  if (limit === undefined) return { page: await fetch({}) };
  const rows = await fetch({ afterId: pageCursor.read(query.next_page), limit: limit + 1 });
  if (rows.length <= limit) return { page: rows };
  const page = rows.slice(0, limit);
  return { page, next_page: pageCursor.write(page[page.length - 1]!.id) };
}
