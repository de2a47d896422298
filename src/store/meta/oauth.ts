import type { MetaDb } from "../db";
import { OAuthApplicationStore } from "./oauthApplications";
import { OAuthTokenStore } from "./oauthTokens";

export type { OAuthApplicationFields, OAuthApplicationRow } from "./oauthApplications";
export type { NewOAuthToken, OAuthTokenInfo } from "./oauthTokens";
export { OAuthApplicationStore, OAuthTokenStore };

/** OAuth applications of organizations and the access tokens issued to users (API v1 bearer). */
export class OAuthStore {
  readonly applications: OAuthApplicationStore;
  readonly tokens: OAuthTokenStore;

  constructor(db: MetaDb, now: () => number = Date.now) {
    this.applications = new OAuthApplicationStore(db);
    this.tokens = new OAuthTokenStore(db, now);
  }
}
