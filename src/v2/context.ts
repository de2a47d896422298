import type { Config } from "../config";
import type { Logger } from "../log";
import type { AccessPolicy } from "../perm/access";
import type { Stores } from "../store";

export interface V2Context {
  config: Config;
  stores: Stores;
  access: AccessPolicy;
  log: Logger;
}
