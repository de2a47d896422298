// API v1's error table: each row becomes one of Quay's body shapes, with the table's status and
// default message unless the throw names its own.
import { describe, expect, test } from "bun:test";
import { ApiError, apiErrorResponse, V1_ERRORS, type ApiErrorName } from "../../../src/v1/errors";

const request = new Request("http://registry.test:5000/api/v1/user/");
const respond = async (err: ApiError) => {
  const res = apiErrorResponse(err, request, { publicUrl: "http://registry.test:5000" });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text(), headers: res.headers };
};

describe("apiErrorResponse", () => {
  test("problem bodies (Quay's ApiException) carry the type, its page and the status", async () => {
    const res = await respond(new ApiError("InvalidRequest", "Invalid namespace name", { field: "username" }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      detail: "Invalid namespace name",
      error_message: "Invalid namespace name",
      error_type: "invalid_request",
      title: "invalid_request",
      type: "http://registry.test:5000/api/v1/error/invalid_request",
      status: 400,
      field: "username",
    });
  });

  const cases: [ApiError, number, unknown][] = [
    [new ApiError("NotFound"), 404, { detail: "Not Found" }],
    [ApiError.unauthorized(false), 401, { error_type: "invalid_token", detail: "Requires authentication" }],
    [ApiError.unauthorized(true), 403, { error_type: "insufficient_scope", detail: "Unauthorized" }],
    [new ApiError("BadRequest", "Could not find robot with specified username"), 400, { message: "Could not find robot with specified username" }],
    [new ApiError("InvalidCredentials", undefined, { invalidCredentials: true }), 403, { message: "Invalid Username or Password", invalidCredentials: true }],
    [ApiError.csrf(), 403, { error: "CSRF token was invalid or missing." }],
    [new ApiError("NotImplemented", "Berth does not support billing"), 501, { message: "Berth does not support billing" }],
  ];
  for (const [err, status, body] of cases) {
    test(`${err.kind}: ${status} ${JSON.stringify(body)}`, async () => {
      const res = await respond(err);
      expect(res.status).toBe(status);
      expect(res.type).toBe("application/json");
      expect(JSON.parse(res.body)).toMatchObject(body as object);
    });
  }

  test("message and error shapes name no type", async () => {
    for (const kind of ["BadRequest", "CsrfInvalid"] as ApiErrorName[]) {
      expect(Object.keys(JSON.parse((await respond(new ApiError(kind))).body))).toHaveLength(1);
    }
  });

  test("the login backoff is plain text with its Retry-After", async () => {
    const res = await respond(new ApiError("TooManyLogins", undefined, {}, { "Retry-After": "7" }));
    expect([res.status, res.body, res.headers.get("retry-after")]).toEqual([429, "Too many login attempts.", "7"]);
    expect(res.type).toStartWith("text/plain");
  });

  test("every row's status is an error status", () => {
    for (const [kind, d] of Object.entries(V1_ERRORS)) expect([kind, d.status >= 400 && d.status < 600]).toEqual([kind, true]);
  });
});
