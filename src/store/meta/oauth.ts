import type { MetaDb } from "../db";
import { OAuthApplicationStore } from "./oauthApplications";
import { OAuthAssignmentStore } from "./oauthAssignments";
import { OAuthTokenStore } from "./oauthTokens";

export type { OAuthApplicationFields, OAuthApplicationRow } from "./oauthApplications";
export type { NewOAuthToken, OAuthTokenInfo } from "./oauthTokens";
export type { OAuthAssignmentRow } from "./oauthAssignments";
export { OAuthApplicationStore, OAuthTokenStore };

/** OAuth applications of organizations and the access tokens issued to users (API v1 bearer). */
export class OAuthStore {
  readonly applications: OAuthApplicationStore;
  readonly tokens: OAuthTokenStore;
  readonly assignments: OAuthAssignmentStore;

  constructor(db: MetaDb, now: () => number = Date.now) {
    this.applications = new OAuthApplicationStore(db);
    this.assignments = new OAuthAssignmentStore(db);
    this.tokens = new OAuthTokenStore(db, now);
  }
}
