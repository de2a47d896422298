import { Elysia } from "elysia";
import { version } from "../../package.json";
import type { V1Context } from "./context";
import { BERTH_LOGO_PATH, logoResponse } from "./logo";
import { externalBase } from "../auth/externalUrl";

// GET /config: the web route (outside /api/v1, no session, no auth) a Quay front end reads at
// start to know the registry's name, address and features (reference §2.13). Only settings a
// browser may see are here, and the feature flags say what Berth really does: a flag is true
// only when the endpoints behind it work.

/** Quay's feature names (FEATURE_ without the prefix) as Berth stands. */
function features(ctx: V1Context): Record<string, boolean> {
  return {
    ADVERTISE_V2: true,
    ANONYMOUS_ACCESS: true,
    APP_SPECIFIC_TOKENS: true,
    CHANGE_TAG_EXPIRATION: true,
    DIRECT_LOGIN: true,
    EXTENDED_REPOSITORY_NAMES: true,
    GENERAL_OCI_SUPPORT: true,
    HELM_OCI_SUPPORT: true,
    LIBRARY_SUPPORT: true,
    PARTIAL_USER_AUTOCOMPLETE: true,
    PERMANENT_SESSIONS: true,
    REFERRERS_API: true,
    SUPER_USERS: true,
    SUPERUSERS_FULL_ACCESS: ctx.config.superuserFullAccess,
    ASSIGN_OAUTH_TOKEN: true,
    AGGREGATED_LOG_COUNT_RETRIEVAL: true,
    USER_LOG_ACCESS: true,
    USER_METADATA: true,
    USER_CREATION: ctx.config.userCreation,
    USER_INITIALIZE: ctx.config.userInitialize,
    // Immutable tags and immutability policies; auto-prune policies (applied by the lifecycle pass).
    IMMUTABLE_TAGS: true,
    AUTO_PRUNE: true,
    // Namespace quotas: read by members, set by superusers, enforced on pushes.
    QUOTA_MANAGEMENT: true,
    EDIT_QUOTA: true,
    REPO_MIRROR: true,
    // Not (yet) in Berth.
    IMAGE_PULL_STATS: false,
    IMAGE_EXPIRY_TRIGGER: false,
    ORG_MIRROR: false,
    ACTION_LOG_ROTATION: false,
    BILLING: false,
    BUILD_SUPPORT: false,
    GITHUB_LOGIN: false,
    GOOGLE_LOGIN: false,
    INVITE_ONLY_USER_CREATION: false,
    LOG_EXPORT: false,
    MAILING: false,
    // Quay's org proxycache endpoints and pulls through them (src/v1/proxyCache.ts, src/proxy).
    PROXY_CACHE: true,
    PUBLIC_CATALOG: false,
    RECAPTCHA: false,
    REQUIRE_TEAM_INVITE: false,
    RESTRICTED_USERS: false,
    SECURITY_SCANNER: false,
    SIGNING: false,
    SUPERUSER_CONFIGDUMP: false,
    SUPERUSERS_ORG_CREATION_ONLY: false,
    TEAM_SYNCING: false,
    USER_RENAME: false,
    USERNAME_CONFIRMATION: false,
  };
}

/** Quay's `config.FEATURE_*` copies of the feature flags its web client reads there; the same values. */
const CONFIG_FEATURES = ["REPO_MIRROR", "QUOTA_MANAGEMENT", "EDIT_QUOTA", "PROXY_CACHE", "ASSIGN_OAUTH_TOKEN", "IMAGE_EXPIRY_TRIGGER", "AUTO_PRUNE"];

export function webConfigRoutes(ctx: V1Context) {
  // Not on the API v1 app: these routes read no session (app.ts strips cookies off non-API paths).
  return new Elysia({ name: "berth-web-config" }).get(BERTH_LOGO_PATH, () => logoResponse()).get("/config", ({ request }) => {
    const f = features(ctx);
    const base = externalBase(ctx.config, request);
    return {
      config: {
        SERVER_HOSTNAME: base.host,
        PREFERRED_URL_SCHEME: base.scheme,
        REGISTRY_TITLE: "Berth",
        REGISTRY_TITLE_SHORT: "Berth",
        AUTHENTICATION_TYPE: "Database",
        AVATAR_KIND: "local",
        CONTACT_INFO: [],
        DEBUG: false,
        SETUP_COMPLETE: true,
        // The time machine windows users and orgs may choose (fieldRules.ts's TAG_EXPIRATION_OPTIONS).
        TAG_EXPIRATION_OPTIONS: ["0s", "1d", "1w", "2w", "4w"],
        // removeTagFromTimemachine is served (Quay shows it only with this flag).
        PERMANENTLY_DELETE_TAGS: true,
        // A tag with an expiry cannot be made immutable (Quay's default).
        FEATURE_IMMUTABLE_TAGS_CAN_EXPIRE: false,
        ...Object.fromEntries(CONFIG_FEATURES.map((name) => [`FEATURE_${name}`, f[name] ?? false])),
        // The web client's logo, served from the binary; no footer image or link.
        BRANDING: { logo: BERTH_LOGO_PATH, footer_img: null, footer_url: null },
      },
      features: f,
      oauth: {},
      external_login: [],
      // Quay's REGISTRY_STATE: its web client shows a read-only banner.
      registry_state: ctx.config.registryState,
      account_recovery_mode: false,
      version_number: `Berth ${version}`,
    };
  });
}
