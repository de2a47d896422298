import { describe, expect, test } from "bun:test";
import { isLogKind, LOG_KINDS, SERVICE_KEY_KINDS } from "../../../src/audit/logKinds";

describe("log kinds", () => {
  test.each([
    ["push_repo", true],
    ["pull_repo", true],
    ["create_repo", true],
    ["delete_tag", true],
    ["change_tag_immutability", true],
    ["create_namespace_notification", true],
    ["reset_namespace_notification", true],
    ["repo_mirror_sync_started", true],
    ["org_mirror_sync_cancelled", true],
    ["create_immutability_policy", true],
    ["org_delete_quota_limit", true],
    ["revoke_oauth_api_token", true],
    ["login_success", true],
    // abbreviations of the reference are not kinds themselves
    ["create/delete/reset_namespace_notification", false],
    ["repo_mirror_*", false],
    ["PUSH_REPO", false],
    ["push_repo ", false],
    ["", false],
    [undefined, false],
    [42, false],
    [{}, false],
  ] as const)("isLogKind(%p) is %p", (value, expected) => {
    expect(isLogKind(value)).toBe(expected);
  });

  test("names are unique snake_case", () => {
    expect(new Set(LOG_KINDS).size).toBe(LOG_KINDS.length);
    for (const k of LOG_KINDS) expect(k).toMatch(/^[a-z][a-z_]*[a-z]$/);
  });

  test("service key kinds are the six service_key_* kinds", () => {
    expect([...SERVICE_KEY_KINDS].sort()).toEqual(
      ["service_key_approve", "service_key_create", "service_key_delete", "service_key_extend", "service_key_modify", "service_key_rotate"],
    );
  });
});
