// Quay's RepoMirrorResource schemas (endpoints/api/mirror.py common_properties) and the view its
// GET answers. Dates are Quay's "%Y-%m-%dT%H:%M:%SZ" both ways.
import { Type } from "@sinclair/typebox";
import type { MirrorProxy } from "../store/meta/mirrorProxies";
import type { MirrorConfig } from "../store/meta/mirrors";

const NullableString = Type.Union([Type.String(), Type.Null()]);

const Proxy = Type.Object({
  https_proxy: Type.Optional(NullableString),
  http_proxy: Type.Optional(NullableString),
  no_proxy: Type.Optional(NullableString),
});

const RootRule = Type.Object({
  rule_kind: Type.Literal("tag_glob_csv"),
  rule_value: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 256 }),
});

const properties = {
  is_enabled: Type.Optional(Type.Boolean()),
  external_reference: Type.Optional(Type.String({ maxLength: 1024 })),
  external_registry_username: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  external_registry_password: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
  sync_start_date: Type.Optional(Type.String()),
  sync_interval: Type.Optional(Type.Integer({ minimum: 0 })),
  robot_username: Type.Optional(Type.String()),
  root_rule: Type.Optional(RootRule),
  external_registry_config: Type.Optional(
    Type.Object({
      verify_tls: Type.Optional(Type.Boolean()),
      unsigned_images: Type.Optional(Type.Boolean()),
      proxy: Type.Optional(Proxy),
    }),
  ),
  // At least 300: checked by the route, with Quay's message.
  skopeo_timeout_interval: Type.Optional(Type.Integer()),
  architecture_filter: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
};

export const UpdateMirrorBody = Type.Object(properties);

export const CreateMirrorBody = Type.Object({
  ...properties,
  external_reference: Type.String({ maxLength: 1024 }),
  sync_interval: Type.Integer({ minimum: 0 }),
  sync_start_date: Type.String(),
  root_rule: RootRule,
  skopeo_timeout_interval: Type.Integer(),
  robot_username: Type.String(),
});

/** Quay's _string_to_dt: exactly "YYYY-MM-DDTHH:MM:SSZ"; undefined when it is not. */
export function parseMirrorDate(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Quay's _dt_to_string (isoformat() + "Z"). */
export function formatMirrorDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A proxy value as shown and logged: a password in the URL is never written out. */
export function shownProxyValue(value: string | null | undefined): string | null {
  if (!value) return value ?? null;
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = "********";
    return url.href.replace(/\/$/, "");
  } catch {
    return value;
  }
}

/** Quay's ViewMirrorConfig, with Berth's `last_error` and `last_sync` (Quay has no field for them). */
export function mirrorView(m: MirrorConfig, proxy: MirrorProxy) {
  const keys = Object.keys(proxy) as (keyof MirrorProxy)[];
  const shownProxy = keys.length ? { proxy: Object.fromEntries(keys.map((k) => [k, k === "no_proxy" ? (proxy[k] ?? null) : shownProxyValue(proxy[k])])) } : {};
  return {
    is_enabled: m.isEnabled,
    mirror_type: "PULL",
    external_reference: m.externalReference,
    external_registry_username: m.username,
    external_registry_config: { verify_tls: m.verifyTls, unsigned_images: m.unsignedImages, ...shownProxy },
    sync_interval: m.syncIntervalS,
    sync_start_date: formatMirrorDate(m.syncStartMs),
    sync_expiration_date: formatMirrorDate(m.syncExpirationMs),
    sync_retries_remaining: m.syncRetriesRemaining,
    sync_status: m.syncStatus,
    root_rule: { rule_kind: "tag_glob_csv", rule_value: m.tagGlobs },
    robot_username: m.robot,
    skopeo_timeout_interval: m.timeoutS,
    architecture_filter: m.architectureFilter,
    last_error: m.lastError,
    last_sync: formatMirrorDate(m.lastSyncMs),
  };
}
