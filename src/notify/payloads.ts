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

/** The body of a test notification (Quay's POST …/notification/<uuid>/test) for `event`. */
export function samplePayload(event: string, address: RegistryAddress, repo: string): Record<string, unknown> {
  const sample = SAMPLES[event]?.() ?? { extra: { message: "TEST NOTIFICATION" } };
  return repositoryEventData(address, repo, sample.extra, sample.subpage);
}
