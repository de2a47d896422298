// Property tests (fast-check) for the two scope grammars: the token endpoint's `scope` parameter
// (Docker token spec) and API v1 OAuth scopes. On any input: a typed answer, never a throw; what
// the registry formats (a challenge's scope, a stored scope list) parses back to the same thing.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { formatScope, parseScopes, type Scope } from "../../../src/perm/scope.ts";
import { formatScopes, OAUTH_SCOPES, parseScopes as parseOAuthScopes } from "../../../src/auth/oauthScopeNames.ts";
import { isValidRepoName } from "../../../src/oci/name.ts";

const RUNS = { numRuns: 2000 };

const componentArb = fc.stringMatching(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+){0,2}$/).filter((c) => c.length <= 40);
const repoNameArb = fc.array(componentArb, { minLength: 1, maxLength: 3 }).map((c) => c.join("/"));
const actionsArb = fc.subarray(["pull", "push", "delete", "*"] as const).map((a) => [...a]);
const rawScopeArb = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.stringMatching(/^[a-z()]{0,12}:[a-zA-Z0-9.:/_-]{0,40}:[a-z*,]{0,20}$/),
  fc.tuple(fc.constantFrom("repository", "registry", "repository(plugin)", "x"), repoNameArb, actionsArb).map(([t, n, a]) => `${t}:${n}:${a.join(",")}`),
);

describe("token scopes", () => {
  test("any scope values: scopes with valid names and canonical actions, or a message", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(rawScopeArb, fc.array(rawScopeArb, { maxLength: 3 }).map((a) => a.join(" "))), { maxLength: 4 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 }), (values, hosts) => {
        const r = parseScopes(values, hosts);
        if (!r.ok) return expect(typeof r.message).toBe("string");
        for (const s of r.scopes) {
          if (s.type === "registry") expect(s).toEqual({ type: "registry", name: "catalog", actions: ["*"] });
          else {
            expect(isValidRepoName(s.name)).toBe(true);
            expect(s.actions).toEqual(["pull", "push", "delete", "*"].filter((a) => s.actions.includes(a as never)) as never);
          }
        }
      }),
      RUNS,
    );
  });

  test("format → parse: the scope a challenge names is the scope the token endpoint reads", () => {
    fc.assert(
      fc.property(repoNameArb, actionsArb, fc.constantFrom("localhost:8080", "registry.example.com", "127.0.0.1:5000"), (name, actions, host) => {
        const scope: Scope = { type: "repository", name, requested: name, actions };
        // A name whose first component has a dot (namespace "john.doe") is a name, not a host.
        expect(parseScopes([formatScope(scope)], [host])).toEqual({ ok: true, scopes: [scope] });
        // The registry's own host in front is stripped.
        expect(parseScopes([`repository:${host}/${name}:${actions.join(",")}`], [host])).toEqual({
          ok: true,
          scopes: [{ ...scope, requested: `${host}/${name}` }],
        });
      }),
      RUNS,
    );
  });
});

describe("OAuth scopes", () => {
  test("any text: known scopes in canonical order, or an error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.tuple(fc.array(fc.constantFrom(...OAUTH_SCOPES, "repo:x", ",", " ", "\t"), { maxLength: 8 }), fc.constantFrom(" ", ",")).map(([a, sep]) => a.join(sep))), (text) => {
        const r = parseOAuthScopes(text);
        if (r.ok) expect(r.scopes).toEqual(OAUTH_SCOPES.filter((s) => r.scopes.includes(s)));
        else expect(typeof r.error).toBe("string");
      }),
      RUNS,
    );
  });

  test("format → parse round-trips every non-empty set", () => {
    fc.assert(
      fc.property(fc.subarray([...OAUTH_SCOPES], { minLength: 1 }), (scopes) => {
        expect(parseOAuthScopes(formatScopes(scopes))).toEqual({ ok: true, scopes: OAUTH_SCOPES.filter((s) => scopes.includes(s)) });
      }),
      RUNS,
    );
  });
});
