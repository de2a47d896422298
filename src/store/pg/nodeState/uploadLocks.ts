// Upload session locks shared by every node (docs/ARCHITECTURE.md, "State one process holds"): two
// requests on any nodes never write one session at once. The request holds the lock from
// tryLock() to unlock(), which UploadSessions calls in a `finally` on every path, a client that
// disconnects mid-body included; a node that dies lets go with its connection.
import type { SQL } from "bun";
import type { UploadLocks } from "../../uploadState";
import { LOCK_CLASS, NodeAdvisoryLocks } from "./advisoryLocks";

/** Session advisory locks keyed by the upload id, on one connection per node. */
export class PgUploadLocks extends NodeAdvisoryLocks implements UploadLocks {
  constructor(sql: SQL) {
    super(sql, LOCK_CLASS.upload);
  }
}
