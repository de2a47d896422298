import type { Runner } from "../dialect/program";
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

  constructor(q: Runner, now: () => number = Date.now) {
    this.applications = new OAuthApplicationStore(q);
    this.assignments = new OAuthAssignmentStore(q);
    this.tokens = new OAuthTokenStore(q, now);
  }
}
