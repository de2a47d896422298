// Who announced a blob deletion (blob_deletions.owner): this host and process, so the next pass
// on the same host clears at once what a collector killed mid-deletion left (as the filesystem's
// trash names carry the pid); another host's announcements wait for the age bound.
import { hostname } from "node:os";
import { processAlive } from "../../store/blobs/fsBlobStore";

const HOST = hostname();

/** This process, as an announcement's owner. */
export const DELETION_OWNER = `${HOST}/${process.pid}`;

/** Whether the owner is a process of this host that has ended (another host's: never known). */
export function deletionOwnerGone(owner: string): boolean {
  const slash = owner.lastIndexOf("/");
  if (owner.slice(0, slash) !== HOST) return false;
  const pid = Number(owner.slice(slash + 1));
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
}
