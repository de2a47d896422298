// Which notifications API v1 may create: events, methods, webhook URLs, and the field each
// refusal names.
import { describe, expect, test } from "bun:test";
import { NOTIFICATION_EVENTS, validateNotification, type NotificationInput } from "../../../src/notify/events";

const webhook = (config: unknown, extra: Partial<NotificationInput> = {}): NotificationInput => ({
  event: "repo_push",
  method: "webhook",
  config,
  eventConfig: {},
  ...extra,
});

describe("validateNotification", () => {
  const accepted: [string, NotificationInput][] = [
    ["an https webhook on repo_push", webhook({ url: "https://ci.example.com/hook" })],
    ["an http webhook with a port and a path", webhook({ url: "http://10.0.0.5:8081/a/b?x=1" })],
    ["an empty template (Quay's UI sends one)", webhook({ url: "https://example.com/", template: "" })],
    ["no eventConfig", webhook({ url: "https://example.com/" }, { eventConfig: undefined })],
    ["an event Quay knows that Berth never raises", webhook({ url: "https://example.com/" }, { event: "build_success" })],
    ["vulnerability_found with its level filter", webhook({ url: "https://example.com/" }, { event: "vulnerability_found", eventConfig: { level: 3 } })],
  ];
  for (const [name, input] of accepted)
    test(`accepts ${name}`, () => {
      expect(validateNotification(input)).toBeUndefined();
    });

  const refused: [string, NotificationInput, string][] = [
    ["an unknown event", webhook({ url: "https://e.com/" }, { event: "repo_pull" }), 'event: unknown notification event "repo_pull"'],
    ["a missing event", webhook({ url: "https://e.com/" }, { event: undefined }), "event: unknown notification event"],
    ["an unknown method", webhook({ url: "https://e.com/" }, { method: "carrier_pigeon" }), 'method: unknown notification method "carrier_pigeon"'],
    ["e-mail (Quay's, not Berth's)", webhook({ email: "a@b.c" }, { method: "email" }), 'method: "email" notifications are not supported; use "webhook"'],
    ["slack", webhook({ url: "https://hooks.slack.com/x" }, { method: "slack" }), 'method: "slack" notifications are not supported'],
    ["quay_notification", webhook({ target: { kind: "user", name: "a" } }, { method: "quay_notification" }), "method: "],
    ["a config that is not an object", webhook("https://e.com/"), "config: must be an object"],
    ["a config that is an array", webhook(["https://e.com/"]), "config: must be an object"],
    ["an eventConfig that is not an object", webhook({ url: "https://e.com/" }, { eventConfig: "x" }), "eventConfig: must be an object"],
    ["a webhook without url", webhook({}), "config.url: missing webhook URL"],
    ["a webhook with an empty url", webhook({ url: "" }), "config.url: missing webhook URL"],
    ["a url that is not a string", webhook({ url: 42 }), "config.url: must be a string"],
    ["a url that does not parse", webhook({ url: "not a url" }), 'config.url: "not a url" is not a URL'],
    ["an ftp url", webhook({ url: "ftp://example.com/x" }), "config.url: must be an http or https URL"],
    ["a javascript: url", webhook({ url: "javascript:alert(1)" }), "config.url: must be an http or https URL"],
    ["credentials in the url", webhook({ url: "https://u:p@example.com/" }), "config.url: must not carry credentials"],
    ["localhost", webhook({ url: "http://localhost:8080/" }), "config.url: localhost is a loopback address"],
    ["127.0.0.1", webhook({ url: "http://127.0.0.1/" }), "config.url: 127.0.0.1 is a loopback address"],
    ["127.1 (normalised to 127.0.0.1)", webhook({ url: "http://127.1/" }), "config.url: 127.0.0.1 is a loopback address"],
    ["2130706433 (decimal)", webhook({ url: "http://2130706433/" }), "config.url: 127.0.0.1 is a loopback address"],
    ["0x7f.1 (hex)", webhook({ url: "http://0x7f.1/" }), "config.url: 127.0.0.1 is a loopback address"],
    ["[::1]", webhook({ url: "http://[::1]:9000/" }), "config.url: [::1] is a loopback address"],
    ["[::ffff:127.0.0.1]", webhook({ url: "http://[::ffff:127.0.0.1]/" }), "config.url: [::ffff:7f00:1] is a loopback address"],
    ["[::ffff:0.0.0.0]", webhook({ url: "http://[::ffff:0.0.0.0]:9/" }), "config.url: [::ffff:0:0] is an unspecified address"],
    ["0.0.0.0", webhook({ url: "http://0.0.0.0:9/" }), "config.url: 0.0.0.0 is an unspecified address"],
    ["the metadata service", webhook({ url: "http://169.254.169.254/latest/meta-data/" }), "config.url: 169.254.169.254 is a link-local address"],
    ["multicast", webhook({ url: "http://224.0.0.1/" }), "config.url: 224.0.0.1 is a multicast address"],
    ["a non-empty template", webhook({ url: "https://e.com/", template: '{"text": "${repository}"}' }), "config.template: webhook body templates are not supported"],
  ];
  for (const [name, input, message] of refused)
    test(`refuses ${name}, naming the field`, () => {
      expect(validateNotification(input)).toStartWith(message);
    });

  test("every one of Quay's events is accepted at creation", () => {
    for (const event of NOTIFICATION_EVENTS) expect(validateNotification(webhook({ url: "https://e.com/" }, { event }))).toBeUndefined();
  });
});

describe("webhook targets by setting", () => {
  test("loopback passes when the caller allows it; link-local needs its own setting", () => {
    expect(validateNotification(webhook({ url: "http://127.0.0.1:9/" }), { allowLoopback: true })).toBeUndefined();
    expect(validateNotification(webhook({ url: "http://[::ffff:0.0.0.0]:9/" }), { allowLoopback: true })).toBeUndefined();
    expect(validateNotification(webhook({ url: "http://169.254.169.254/" }), { allowLoopback: true })).toStartWith("config.url: 169.254.169.254 is a link-local");
    expect(validateNotification(webhook({ url: "http://169.254.169.254/" }), { allowLinkLocal: true })).toBeUndefined();
  });

  test("private ranges pass by default and are refused when the caller says so", () => {
    for (const url of ["http://10.0.0.5/", "http://192.168.1.20:8080/", "http://[fd00::5]/", "http://100.64.0.1/"]) {
      expect(validateNotification(webhook({ url }))).toBeUndefined();
      expect(validateNotification(webhook({ url }), { allowPrivate: false })).toContain("is a private address");
    }
  });

  test("names are accepted at creation: their addresses are checked when sending", () => {
    expect(validateNotification(webhook({ url: "http://ci.internal:8080/hook" }))).toBeUndefined();
  });
});
