// Which notification events and methods Berth knows, which it acts on, and the checks a new
// notification must pass before the API stores it. Pure: no I/O.
//
// Events: Quay's create endpoint accepts every event it knows, whether or not the feature behind
// it (builds, security scanning, mirroring, quotas, image expiry) is enabled, and scripts that copy
// notifications between registries rely on that. Berth does the same: all of Quay's event names
// are accepted and stored, but only `repo_push`, the quota and the mirror sync events fire today; the others simply
// never happen here.
// Unknown names are refused (Quay would fail with a 500 on them).
//
// Methods: only `webhook` is delivered. Quay's other methods need things Berth does not have
// (its own notification inbox, a mail server, confirmed e-mail addresses) or talk to retired
// services (Flowdock, HipChat), so they are refused with a clear message rather than stored and
// silently never sent.
import { DEFAULT_TARGET_POLICY, refusedHostname, type TargetPolicy } from "./webhookTarget";

/** Every repository event Quay knows (reference §2.13). */
export const NOTIFICATION_EVENTS = [
  "repo_push",
  "build_queued",
  "build_start",
  "build_success",
  "build_cancelled",
  "build_failure",
  "vulnerability_found",
  "repo_mirror_sync_started",
  "repo_mirror_sync_success",
  "repo_mirror_sync_failed",
  "repo_image_expiry",
  "quota_warning",
  "quota_error",
] as const;

export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Events Berth actually raises. */
export const RAISED_EVENTS: ReadonlySet<string> = new Set<NotificationEvent>(["repo_push", "quota_warning", "quota_error", "repo_mirror_sync_started", "repo_mirror_sync_success", "repo_mirror_sync_failed"]);

/** Every notification method Quay knows. */
export const NOTIFICATION_METHODS = ["quay_notification", "email", "webhook", "flowdock", "hipchat", "slack"] as const;

/** Methods Berth delivers. */
export const SUPPORTED_METHODS: ReadonlySet<string> = new Set(["webhook"]);

/**
 * Quay stops sending a notification once it has this many failures, until an admin resets them
 * (POST …/notification/<uuid>); the UI shows it as disabled.
 */
export const DISABLED_AT_FAILURES = 3;

export function isDisabled(numberOfFailures: number): boolean {
  return numberOfFailures >= DISABLED_AT_FAILURES;
}

export interface NotificationInput {
  event: unknown;
  method: unknown;
  config: unknown;
  eventConfig?: unknown;
}

/**
 * Where webhooks may go (webhookTarget.ts); unset fields take DEFAULT_TARGET_POLICY. Only address
 * literals and `localhost` names are judged here; names are judged by their addresses when sent.
 */
export type ValidationOptions = Partial<TargetPolicy>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const quoted = (v: unknown) => JSON.stringify(v) ?? String(v);

function validateWebhookConfig(config: Record<string, unknown>, opts: ValidationOptions): string | undefined {
  const url = config.url;
  if (url === undefined || url === null || url === "") return "config.url: missing webhook URL";
  if (typeof url !== "string") return "config.url: must be a string";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `config.url: ${quoted(url)} is not a URL`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "config.url: must be an http or https URL";
  if (!parsed.hostname) return "config.url: must name a host";
  if (parsed.username || parsed.password) return "config.url: must not carry credentials";
  const d = DEFAULT_TARGET_POLICY;
  const policy = {
    allowLoopback: opts.allowLoopback ?? d.allowLoopback,
    allowLinkLocal: opts.allowLinkLocal ?? d.allowLinkLocal,
    allowPrivate: opts.allowPrivate ?? d.allowPrivate,
  };
  const refused = refusedHostname(parsed.hostname, policy);
  if (refused) return `config.url: ${refused}`;
  // Quay's templates are JSONPath expressions applied to the event data; sending the plain
  // event instead of the body the admin designed would be wrong, so refuse until supported.
  if (config.template !== undefined && config.template !== null && config.template !== "")
    return "config.template: webhook body templates are not supported; the event data is sent as is";
  return undefined;
}

/**
 * Checks a notification about to be created. Returns an error message naming the offending
 * field (for Quay's 400 `invalid_request`), or undefined when the notification is acceptable.
 */
export function validateNotification(input: NotificationInput, opts: ValidationOptions = {}): string | undefined {
  const { event, method, config, eventConfig } = input;
  if (typeof event !== "string" || !(NOTIFICATION_EVENTS as readonly string[]).includes(event))
    return `event: unknown notification event ${quoted(event)}`;
  if (typeof method !== "string" || !(NOTIFICATION_METHODS as readonly string[]).includes(method))
    return `method: unknown notification method ${quoted(method)}`;
  if (!SUPPORTED_METHODS.has(method)) return `method: ${quoted(method)} notifications are not supported; use "webhook"`;
  if (!isObject(config)) return "config: must be an object";
  if (eventConfig !== undefined && !isObject(eventConfig)) return "eventConfig: must be an object";
  return validateWebhookConfig(config, opts);
}
