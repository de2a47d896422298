// The JSON bodies notifications carry, in Quay's shapes (notifications/__init__.py
// build_repository_event_data and each event's sample data). A webhook receives exactly this
// object. Pure: no I/O.
/** Where clients reach the registry: `docker_url` and `homepage` are built from it. */
export interface RegistryAddress {
  /** "http" or "https". */
  scheme: string;
  /** host[:port], as in an image reference. */
  host: string;
}

/**
 * The registry's address from its configuration alone: `publicUrl` when set (Quay's
 * SERVER_HOSTNAME and PREFERRED_URL_SCHEME), else the listen address and port, `localhost` for
 * a wildcard listen address. Never a request's Host: whoever pushes would choose the registry
 * that CI systems pull from.
 */
export function registryAddress(settings: { publicUrl?: string; host: string }, port: number): RegistryAddress {
  if (settings.publicUrl) {
    const u = new URL(settings.publicUrl);
    return { scheme: u.protocol.slice(0, -1), host: u.host };
  }
  const h = settings.host === "0.0.0.0" || settings.host === "::" ? "localhost" : settings.host;
  return { scheme: "http", host: `${h.includes(":") ? `[${h}]` : h}:${port}` };
}

/** The fields every repository event carries, plus the event's own (`extra`). */
export function repositoryEventData(
  address: RegistryAddress,
  repo: string,
  extra: Record<string, unknown> = {},
  subpage = "",
): Record<string, unknown> {
  // Quay's namespace is the first path segment; the name is the rest (it may contain slashes).
  const slash = repo.indexOf("/");
  const page = subpage && !subpage.startsWith("/") ? `/${subpage}` : subpage;
  return {
    repository: repo,
    namespace: repo.slice(0, slash),
    name: repo.slice(slash + 1),
    docker_url: `${address.host}/${repo}`,
    homepage: `${address.scheme}://${address.host}/repository/${repo}${page}`,
    ...extra,
  };
}

/** The fields every namespace event carries (Quay's build_namespace_event_data), plus the event's own. */
export function namespaceEventData(address: RegistryAddress, namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { namespace, homepage: `${address.scheme}://${address.host}/organization/${namespace}`, ...extra };
}

const BYTE_UNITS = ["bytes", "KB", "MB", "GB", "TB"];

/** Quay's _format_bytes for quota events: 1024 steps, two decimals ("819.20 MB", "512 bytes"). */
export function formatEventBytes(bytes: number): string {
  let value = bytes;
  for (const unit of BYTE_UNITS) {
    if (Math.abs(value) < 1024 || unit === BYTE_UNITS[BYTE_UNITS.length - 1]) return unit === "bytes" ? `${Math.trunc(value)} bytes` : `${value.toFixed(2)} ${unit}`;
    value /= 1024;
  }
  return `${bytes} bytes`;
}

/** A quota measure as Quay's quota_warning / quota_error events carry it. */
export function quotaEventData(usageBytes: number, quotaBytes: number, thresholdPercent: number): Record<string, unknown> {
  return {
    threshold_percent: thresholdPercent,
    usage_bytes: usageBytes,
    limit_bytes: quotaBytes,
    usage_percent: quotaBytes ? Math.floor((usageBytes * 100) / quotaBytes) : 0,
    usage_bytes_formatted: formatEventBytes(usageBytes),
    limit_bytes_formatted: formatEventBytes(quotaBytes),
  };
}

/** What Quay's /v2 sends after a manifest PUT that named a tag: one event per tag pushed. */
export function repoPushPayload(address: RegistryAddress, repo: string, updatedTags: string[]): Record<string, unknown> {
  return repositoryEventData(address, repo, { updated_tags: updatedTags });
}

const SAMPLE_BUILD_ID = "fake-build-id";

function sampleBuild(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    build_id: SAMPLE_BUILD_ID,
    build_name: "some-fake-build",
    docker_tags: ["latest", "foo", "bar"],
    trigger_id: "1245634",
    trigger_kind: "GitHub",
    trigger_metadata: {
      default_branch: "master",
      ref: "refs/heads/somebranch",
      commit: "42d4a62c53350993ea41069e9f2cfdefb0df097d",
    },
    ...extra,
  };
}

/** Quay's sample data per event (the event-specific part); events without one get a message. */
const SAMPLES: Record<string, () => { extra: Record<string, unknown>; subpage?: string }> = {
  repo_push: () => ({ extra: { updated_tags: ["latest", "foo"], pruned_image_count: 3 } }),
  build_queued: () => ({ extra: sampleBuild({ is_manual: false }), subpage: `/build/${SAMPLE_BUILD_ID}` }),
  build_start: () => ({ extra: sampleBuild({}), subpage: `/build/${SAMPLE_BUILD_ID}` }),
  build_success: () => ({ extra: sampleBuild({ image_id: "1245657346" }), subpage: `/build/${SAMPLE_BUILD_ID}` }),
  build_cancelled: () => ({ extra: sampleBuild({ image_id: "1245657346" }), subpage: `/build/${SAMPLE_BUILD_ID}` }),
  build_failure: () => ({
    extra: sampleBuild({ error_message: "This is a fake error message" }),
    subpage: `/build/${SAMPLE_BUILD_ID}`,
  }),
  vulnerability_found: () => ({
    extra: {
      tags: ["latest", "prod", "foo", "bar", "baz"],
      image: "some-image-id",
      vulnerability: {
        id: "CVE-FAKE-CVE",
        description: "A futurist vulnerability",
        link: "https://security-tracker.debian.org/tracker/CVE-FAKE-CVE",
        priority: "Critical",
      },
    },
  }),
};

/** Quay's sample data of the namespace events (quota_warning, quota_error), as it writes them. */
const NAMESPACE_SAMPLES: Record<string, () => Record<string, unknown>> = {
  quota_warning: () => ({
    threshold_percent: 80,
    usage_bytes: 858993459,
    limit_bytes: 1073741824,
    usage_percent: 80,
    usage_bytes_formatted: "819.20 MB",
    limit_bytes_formatted: "1.00 GB",
  }),
  quota_error: () => ({
    threshold_percent: 100,
    usage_bytes: 1127428915,
    limit_bytes: 1073741824,
    usage_percent: 105,
    usage_bytes_formatted: "1.05 GB",
    limit_bytes_formatted: "1.00 GB",
  }),
};

/** The body of a test notification (Quay's POST …/notification/<uuid>/test) for `event`. */
export function samplePayload(event: string, address: RegistryAddress, repo: string): Record<string, unknown> {
  const namespaceSample = NAMESPACE_SAMPLES[event];
  if (namespaceSample) return namespaceEventData(address, repo.slice(0, repo.indexOf("/")), namespaceSample());
  const sample = SAMPLES[event]?.() ?? { extra: { message: "TEST NOTIFICATION" } };
  return repositoryEventData(address, repo, sample.extra, sample.subpage);
}
