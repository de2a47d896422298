// Every metadata table in PostgreSQL, generated from its SQLite table (./fromSqlite.ts). A table
// added to ../schema.ts must be added here (test/unit/store/pgSchema.test.ts fails otherwise);
// `bun run db:generate:pg` then writes its migration.
import * as s from "../schema";
import { pgTableFrom } from "./fromSqlite";

export const namespaces = pgTableFrom(s.namespaces);
export const repositories = pgTableFrom(s.repositories);
export const blobs = pgTableFrom(s.blobs);
export const repositoryBlobs = pgTableFrom(s.repositoryBlobs);
export const blobDeletions = pgTableFrom(s.blobDeletions);
export const manifests = pgTableFrom(s.manifests);
export const manifestBlobs = pgTableFrom(s.manifestBlobs);
export const manifestChildren = pgTableFrom(s.manifestChildren);
export const tags = pgTableFrom(s.tags);
export const uploads = pgTableFrom(s.uploads);
export const s3Uploads = pgTableFrom(s.s3Uploads);
export const users = pgTableFrom(s.users);
export const robots = pgTableFrom(s.robots);
export const teams = pgTableFrom(s.teams);
export const teamMembers = pgTableFrom(s.teamMembers);
export const repositoryPermissions = pgTableFrom(s.repositoryPermissions);
export const appTokens = pgTableFrom(s.appTokens);
export const logEntries = pgTableFrom(s.logEntries);
export const oauthApplications = pgTableFrom(s.oauthApplications);
export const oauthAccessTokens = pgTableFrom(s.oauthAccessTokens);
export const manifestLabels = pgTableFrom(s.manifestLabels);
export const permissionPrototypes = pgTableFrom(s.permissionPrototypes);
export const repositoryNotifications = pgTableFrom(s.repositoryNotifications);
export const notificationDeliveries = pgTableFrom(s.notificationDeliveries);
export const stars = pgTableFrom(s.stars);
export const oauthTokenAssignments = pgTableFrom(s.oauthTokenAssignments);
export const globalMessages = pgTableFrom(s.globalMessages);
export const autoPrunePolicies = pgTableFrom(s.autoPrunePolicies);
export const immutabilityPolicies = pgTableFrom(s.immutabilityPolicies);
export const healthProbes = pgTableFrom(s.healthProbes);
export const namespaceQuotas = pgTableFrom(s.namespaceQuotas);
export const quotaLimits = pgTableFrom(s.quotaLimits);
export const repositoryBlobRefs = pgTableFrom(s.repositoryBlobRefs);
export const repositoryUsage = pgTableFrom(s.repositoryUsage);
export const namespaceBlobRefs = pgTableFrom(s.namespaceBlobRefs);
export const namespaceUsage = pgTableFrom(s.namespaceUsage);
export const quotaNotices = pgTableFrom(s.quotaNotices);
export const repoMirrors = pgTableFrom(s.repoMirrors);
export const proxyCacheConfigs = pgTableFrom(s.proxyCacheConfigs);
export const proxyCacheTags = pgTableFrom(s.proxyCacheTags);

// The exception: tables of the state several nodes share, which SQLite (one node) keeps in memory.
export { deliveryClaims, loginThrottleCounters, rateBuckets, readCacheChanges } from "./nodeState/tables";
