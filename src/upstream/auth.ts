// Credentials for one upstream host: answers a 401's challenge with Docker's token flow (a GET to
// the realm with Basic credentials, for the scope asked) or plain Basic auth, and keeps tokens per
// scope until shortly before they expire.
import { parseChallenges } from "./challenge";
import { cappedBody, upstreamFetch, UpstreamError, type ConnectionOptions } from "./connection";

export interface Credentials {
  username: string;
  password: string;
}

const MAX_TOKEN_BODY = 64 * 1024;

export class UpstreamAuth {
  private readonly tokens = new Map<string, { header: string; untilMs: number }>();
  private basic = false;

  constructor(
    /** host:port of the configured upstream. */
    readonly host: string,
    private readonly credentials: Credentials | undefined,
    private readonly connection: ConnectionOptions,
  ) {}

  private basicHeader(): string | undefined {
    const c = this.credentials;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}` : undefined;
  }

  /** The Authorization header to try first for `scope`, if one is known. */
  header(scope: string): string | undefined {
    if (this.basic) return this.basicHeader();
    const t = this.tokens.get(scope);
    return t && t.untilMs > Date.now() ? t.header : undefined;
  }

  /** After a 401 with `challenge`: the header to retry with, or an error saying why there is none. */
  async answer(challengeHeader: string | null, scope: string): Promise<string> {
    const challenges = parseChallenges(challengeHeader);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer?.scheme === "bearer") return this.fetchToken(bearer.realm, bearer.service, bearer.scope ?? scope, scope);
    if (challenges.some((c) => c.scheme === "basic") && this.credentials) {
      this.basic = true;
      return this.basicHeader()!;
    }
    throw new UpstreamError(this.credentials ? "the upstream refused the credentials" : "the upstream requires credentials", 401);
  }

  private async fetchToken(realm: string, service: string | undefined, asked: string, scope: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UpstreamError(`the upstream's token realm ${JSON.stringify(realm)} is not a URL`);
    }
    // The realm the configured host names gets the credentials (Docker Hub's is auth.docker.io),
    // but only over HTTPS unless it is that host itself: they must not cross the network in clear.
    const mayCarry = url.host === this.host || url.protocol === "https:";
    if (service) url.searchParams.set("service", service);
    // No scope: a login only (the /v2/ check of a proxy cache's validation).
    if (asked) url.searchParams.set("scope", asked);
    const res = await upstreamFetch(url.href, { authorization: mayCarry ? this.basicHeader() : undefined, credentialHost: url.host }, this.connection);
    const body = await cappedBody(res, MAX_TOKEN_BODY, "the token answer");
    if (res.status === 401 || res.status === 403) throw new UpstreamError("the upstream refused the credentials", res.status);
    if (res.status !== 200) throw new UpstreamError(`the token endpoint answered ${res.status}`, res.status);
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new UpstreamError("the token endpoint answered something other than JSON");
    }
    const token = typeof parsed.token === "string" ? parsed.token : typeof parsed.access_token === "string" ? parsed.access_token : undefined;
    if (!token) throw new UpstreamError("the token endpoint answered no token");
    const seconds = typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in : 60;
    const header = `Bearer ${token}`;
    // Used until 10 s before it ends (Docker's minimum lifetime is 60 s).
    this.tokens.set(scope, { header, untilMs: Date.now() + Math.max(seconds - 10, 5) * 1000 });
    return header;
  }
}
