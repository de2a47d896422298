// Page cursors of the audit log, opaque to API callers (Quay's next_page).
//
// The cursor is the last entry's position in the (created_ms desc, id desc) order: keyset
// pagination, so entries written meanwhile neither repeat nor shift later pages.
export function encodeCursor(createdMs: number, id: number): string {
  return Buffer.from(`${createdMs}.${id}`).toString("base64url");
}

export function decodeCursor(cursor: string): { createdMs: number; id: number } | undefined {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!m) return undefined;
  const createdMs = Number(m[1]);
  const id = Number(m[2]);
  return Number.isSafeInteger(createdMs) && Number.isSafeInteger(id) ? { createdMs, id } : undefined;
}
