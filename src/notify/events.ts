// Which notification events and methods Berth knows, which it acts on, and the checks a new
// notification must pass before the API stores it. Pure: no I/O.
//
// Events: Quay's create endpoint accepts every event it knows, whether or not the feature behind
// it (builds, security scanning, mirroring, quotas, image expiry) is enabled, and scripts that copy
// notifications between registries rely on that. Berth does the same: all of Quay's event names
// are accepted and stored, but only `repo_push` fires today; the others simply never happen here.
// Unknown names are refused (Quay would fail with a 500 on them).
//
// Methods: only `webhook` is delivered. Quay's other methods need things Berth does not have
// (its own notification inbox, a mail server, confirmed e-mail addresses) or talk to retired
// services (Flowdock, HipChat), so they are refused with a clear message rather than stored and
// silently never sent.

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
export const RAISED_EVENTS: ReadonlySet<string> = new Set<NotificationEvent>(["repo_push"]);

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

export interface ValidationOptions {
  /**
   * Allow webhooks to this host's loopback addresses. Off by default, as in Quay (which refuses
   * `localhost` and `127.0.0.1`): a repository admin must not make the registry call services
   * that only listen locally. Names that merely resolve to loopback are not caught (nor are
   * they in Quay): this guards against the obvious, it is no network policy.
   */
  allowLoopback?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const quoted = (v: unknown) => JSON.stringify(v) ?? String(v);

/**
 * Hostnames that reach this machine itself: localhost names, 127.0.0.0/8, 0.0.0.0/8, ::1, ::.
 * Takes a hostname as WHATWG URL parsing leaves it, which already normalises `127.1`, `0x7f.1`
 * and `[0:0:0:0:0:0:0:1]` to their canonical forms.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^(127|0)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  if (h === "::1" || h === "::") return true;
  // IPv4-mapped IPv6 (WHATWG URL parsing writes ::ffff:127.0.0.1 as ::ffff:7f00:1).
  return /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h);
}

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
  if (!opts.allowLoopback && isLoopbackHost(parsed.hostname)) return "config.url: must not point at the registry's own host (loopback)";
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
