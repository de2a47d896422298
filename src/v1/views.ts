// Small shapes shared by API v1 answers.

const AVATAR_COLORS = ["#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#1f77b4", "#17becf", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede", "#9ecae1", "#31a354", "#b5cf6b", "#a1d99b", "#8c6d31", "#ad494a", "#e7ba52", "#a55194"];

/** Quay's avatar object for the local provider: sha256 of the trimmed, lower-cased email (or name, without one). */
export function avatar(name: string, kind: "user" | "robot" | "org" | "team" | "app", email?: string | null) {
  const hash = new Bun.CryptoHasher("sha256").update((email || name).trim().toLowerCase()).digest("hex");
  return { name, hash, color: AVATAR_COLORS[parseInt(hash.slice(0, 2), 16) % AVATAR_COLORS.length], kind };
}

/**
 * An organization's avatar, the same in every view: from its contact e-mail when it has one, as
 * Quay's get_data_for_org (the name otherwise).
 */
export function orgAvatar(org: { name: string; email: string | null | undefined }) {
  return avatar(org.name, "org", org.email);
}

/** RFC 2822 dates with the -0000 zone, as Quay writes them. */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "-0000");
}

/** Quay's permission list entry for a team or robot: the repository (name within the namespace) and the role. */
export function grantedRepoView(g: { repository: string; visibility: "public" | "private"; role: string }) {
  return { repository: { name: g.repository.slice(g.repository.indexOf("/") + 1), is_public: g.visibility === "public" }, role: g.role };
}

/**
 * A JSON answer with a status of its own. Elysia sends a returned string as text/plain, while
 * Quay answers some writes with a JSON string ("Created", "Updated"); objects go the same way.
 */
export function jsonResponse(value: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json", ...headers } });
}
