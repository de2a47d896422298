// The web UI in a real browser against the compiled binary (issue 12): an administrator's whole
// story (sign in; organization, team, robot; repository with the team granted write; a push with
// the robot's token; tags, delete and restore, a label, the usage log; sign out), a read-only
// user who sees no admin action, and an accessibility scan of every page.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { startBinary, tempDir, type BinaryServer } from "../support/server";
import { OciLayoutWriter, run } from "../support/e2eHelpers";
import { axeViolations, launchBrowser, signIn, watchedPage } from "../support/browser";

const ADMIN_PASSWORD = "admin-password-1";
const READER_PASSWORD = "reader-password-1";
let srv: BinaryServer;
let browser: Browser;
let page: Page;
let problems: string[];
const dirs: string[] = [];

beforeAll(async () => {
  srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  dirs.push(srv.dataDir);
  browser = await launchBrowser();
  ({ page, problems } = await watchedPage(browser, srv.url));
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const dialog = () => page.getByRole("dialog");

async function submitDialog(button: string) {
  await dialog().getByRole("button", { name: button, exact: true }).click();
  await dialog().waitFor({ state: "detached" });
}

async function pushImage(tags: string[], creds: string) {
  const src = tempDir("berth-ui-oci-");
  dirs.push(src);
  const layout = new OciLayoutWriter(src);
  const image = layout.addImage({ layers: 2, layerSize: 64 * 1024 });
  pushedLayerSizes = image.layers.map((l) => l.size);
  for (const t of tags) layout.tag(t, image.manifest);
  for (const t of tags) {
    await run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", creds, `oci:${src}:${t}`, `docker://127.0.0.1:${srv.port}/acme/app:${t}`]);
  }
}

/** Opens a tag's row (pull commands and tag actions). */
async function openTag(p: Page, tag: string) {
  const row = p.getByRole("row").filter({ has: p.getByRole("cell", { name: tag, exact: true }) });
  await row.getByRole("button", { name: "Details" }).click();
}

let robotToken = "";
let pushedLayerSizes: number[] = [];

describe("an administrator's story", () => {
  test("sign in", async () => {
    await signIn(page, "admin", ADMIN_PASSWORD);
    await page.getByRole("heading", { name: "Repositories", exact: true }).waitFor();
  });

  test("create an organization, a team and a robot", async () => {
    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByRole("button", { name: "Create organization" }).click();
    await dialog().getByLabel("Organization name").fill("acme");
    await submitDialog("Create");
    await page.getByRole("heading", { name: "acme", level: 1 }).waitFor();

    await page.getByRole("tab", { name: "Teams and members" }).click();
    await page.getByRole("button", { name: "Create team" }).click();
    await dialog().getByLabel("Team name").fill("builders");
    await submitDialog("Create");
    await page.getByRole("button", { name: /^builders — member/ }).waitFor();

    await page.getByRole("tab", { name: "Robot accounts" }).click();
    await page.getByRole("button", { name: "Create robot account" }).click();
    await dialog().getByLabel("Robot name").fill("ci");
    await dialog().getByRole("button", { name: "Create", exact: true }).click();
    // The new robot's token is shown at once, with a copy button.
    const shown = page.getByRole("dialog", { name: "Robot account acme+ci" });
    robotToken = await shown.getByLabel("Robot token").inputValue();
    expect(robotToken.length).toBeGreaterThan(20);
    await shown.getByRole("button", { name: "Close" }).click();
    await dialog().waitFor({ state: "detached" });
    await page.getByRole("cell", { name: "acme+ci", exact: true }).waitFor();

    // The robot joins the team, through the entity typeahead.
    await page.getByRole("tab", { name: "Teams and members" }).click();
    await page.getByRole("button", { name: /^builders — member/ }).click();
    await page.getByRole("button", { name: "Add member" }).click();
    await dialog().getByLabel("User or robot").fill("acme+c");
    await dialog().getByRole("button", { name: "acme+ci (robot)" }).click();
    await submitDialog("Add member");
    await page.getByRole("cell", { name: "acme+ci", exact: true }).waitFor();
  });

  test("create a repository and grant the team write", async () => {
    await page.getByRole("link", { name: "Repositories" }).first().click();
    await page.getByRole("button", { name: "Create repository" }).click();
    await dialog().getByLabel("Namespace").selectOption("acme");
    await dialog().getByLabel("Repository name").fill("app");
    await submitDialog("Create");
    await page.waitForURL(/\/repository\/acme\/app/);
    await page.getByText("This repository has no tags yet").waitFor();

    await page.getByRole("tab", { name: "Settings" }).click();
    await page.getByRole("button", { name: "Add permission" }).click();
    await dialog().getByLabel("User, robot or team").fill("build");
    await dialog().getByRole("button", { name: "builders (team)" }).click();
    await dialog().getByLabel("Role").selectOption("write");
    await submitDialog("Add permission");
    await expect(page.getByLabel("Role of builders").inputValue()).resolves.toBe("write");
  });

  test("a push with the robot's token shows its tags", async () => {
    await pushImage(["v1", "v2"], `acme+ci:${robotToken}`);
    await page.goto("/repository/acme/app?tab=tags");
    await page.getByRole("cell", { name: "v1", exact: true }).waitFor();
    await page.getByRole("cell", { name: "v2", exact: true }).waitFor();
    // The pull commands name the registry's host.
    await openTag(page, "v1");
    const pull = await page.getByLabel("podman pull v1").inputValue();
    expect(pull).toBe(`podman pull 127.0.0.1:${srv.port}/acme/app:v1`);
  });

  test("delete a tag, restore it from the history", async () => {
    await page.getByRole("button", { name: "Delete tag v2" }).click();
    await submitDialog("Delete");
    await page.getByRole("cell", { name: "v2", exact: true }).waitFor({ state: "detached" });
    await page.getByRole("tab", { name: "Tag history" }).click();
    await page.getByRole("button", { name: /^Restore v2 to / }).click();
    await submitDialog("Restore");
    await page.getByText("Restored v2").waitFor();
    await page.getByRole("tab", { name: "Tags" }).click();
    await page.getByRole("cell", { name: "v2", exact: true }).waitFor();
  });

  test("add a label to the manifest", async () => {
    await page.getByRole("link", { name: /manifest of v1$/ }).click();
    await page.getByRole("heading", { name: /^Manifest sha256:/ }).waitFor();
    // Two layers, each with its size.
    await page.getByRole("table", { name: "Layers" }).waitFor();
    expect(await page.getByRole("table", { name: "Layers" }).getByRole("row").count()).toBe(3);
    const layers = await page.getByRole("table", { name: "Layers" }).innerText();
    for (const size of pushedLayerSizes) expect(layers).toContain(`${(size / 1024).toFixed(1)} KiB`);
    await page.getByRole("button", { name: "Add label" }).click();
    await dialog().getByLabel("Key").fill("team");
    await dialog().getByLabel("Value").fill("builders");
    await submitDialog("Add label");
    await page.getByText("team=builders").waitFor();
  });

  test("the usage log tells who pushed", async () => {
    await page.goto("/repository/acme/app?tab=logs");
    await page.getByRole("table", { name: "Usage logs" }).waitFor();
    const log = await page.getByRole("table", { name: "Usage logs" }).innerText();
    expect(log).toContain("push_repo");
    expect(log).toContain("acme+ci");
    expect(log).toContain("delete_tag");
    expect(log).toContain("revert_tag");
    await page.getByRole("img", { name: /^Actions per day: / }).waitFor();
  });

  test("an OAuth application, and a token for yourself through the authorize step", async () => {
    await page.goto("/organization/acme?tab=applications");
    await page.getByRole("button", { name: "Create application" }).click();
    await dialog().getByLabel("Application name").fill("deployer");
    await dialog().getByRole("button", { name: "Create", exact: true }).click();
    // The new application's credentials are shown at once.
    const creds = page.getByRole("dialog", { name: "Credentials of deployer" });
    expect((await creds.getByLabel("Client ID").inputValue()).length).toBeGreaterThan(10);
    await creds.getByRole("button", { name: "Close" }).click();
    await page.getByRole("button", { name: "Generate token" }).click();
    await dialog().getByLabel("user:read: Read user information").check();
    await dialog().getByRole("button", { name: "Authorize application" }).click();
    await page.waitForURL(/\/oauth\/localapp#access_token=/);
    const token = new URLSearchParams(new URL(page.url()).hash.slice(1)).get("access_token")!;
    await page.getByText(`Access token: ${token}`).waitFor();
    // The token works as a bearer token, with the scopes chosen.
    const me = await fetch(`${srv.url}/api/v1/user/`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe("admin");
    await page.goto("/repository");
  });

  test("a superuser sets the organization's quota and a Reject limit", async () => {
    await page.goto("/organization/acme?tab=lifecycle");
    await page.getByRole("button", { name: "Set quota" }).click();
    await dialog().getByLabel(/^Limit/).fill("10 GiB");
    await submitDialog("Set quota");
    await page.getByText("Limit 10.0 GiB").waitFor();
    await page.getByRole("button", { name: "Add limit" }).click();
    await dialog().getByLabel("Kind").selectOption("Reject");
    await dialog().getByLabel(/^At percent/).fill("90");
    await submitDialog("Add limit");
    await page.getByRole("cell", { name: "90%" }).waitFor();
    // What the API says now, read as the page's session.
    const quotas = await page.evaluate(async () => (await fetch("/api/v1/organization/acme/quota", { headers: { "X-Requested-With": "XMLHttpRequest" } })).json());
    expect(quotas).toMatchObject([{ limit_bytes: 10 * 1024 ** 3, limits: [{ type: "Reject", limit_percent: 90 }] }]);
  });

  test("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    // The session is gone: the account page sends back to sign-in.
    await page.goto("/user/admin");
    await page.waitForURL(/\/signin\?redirect=/);
  });

  test("no script error and no Content-Security-Policy refusal on the way", () => {
    expect(problems).toEqual([]);
  });
});

describe("a read-only user", () => {
  test("sees the repository and its tags, and no admin action", async () => {
    const admin = await watchedPage(browser, srv.url);
    await signIn(admin.page, "admin", ADMIN_PASSWORD);
    // The superuser makes the account; the repository grants it read.
    await admin.page.goto("/superuser");
    await admin.page.getByRole("button", { name: "Create user" }).click();
    await admin.page.getByRole("dialog").getByLabel("Username").fill("reader");
    await admin.page.getByRole("dialog").getByRole("button", { name: "Create", exact: true }).click();
    await admin.page.getByRole("cell", { name: "reader", exact: true }).first().waitFor();
    await admin.page.getByRole("button", { name: "Reset password" }).last().click();
    await admin.page.getByRole("dialog").getByLabel("New password").fill(READER_PASSWORD);
    await admin.page.getByRole("dialog").getByRole("button", { name: "Set password" }).click();
    await admin.page.getByText("Password of reader changed").waitFor();
    await admin.page.goto("/repository/acme/app?tab=settings");
    await admin.page.getByRole("button", { name: "Add permission" }).click();
    await admin.page.getByRole("dialog").getByLabel("User, robot or team").fill("read");
    await admin.page.getByRole("dialog").getByRole("button", { name: "reader (user)" }).click();
    await admin.page.getByRole("dialog").getByRole("button", { name: "Add permission", exact: true }).click();
    await admin.page.getByLabel("Role of reader").waitFor();
    await admin.page.context().close();

    const reader = await watchedPage(browser, srv.url);
    await signIn(reader.page, "reader", READER_PASSWORD);
    await reader.page.goto("/repository/acme/app?tab=tags");
    await reader.page.getByRole("cell", { name: "v1", exact: true }).waitFor();
    await openTag(reader.page, "v1");
    await reader.page.getByLabel("podman pull v1").waitFor();
    expect(await reader.page.getByRole("tab").allInnerTexts()).toEqual(["Tags", "Tag history"]);
    for (const action of ["Delete tag v1", "Add tag", "Set expiry", "Make immutable"]) {
      expect(await reader.page.getByRole("button", { name: action }).count()).toBe(0);
    }
    await reader.page.goto("/repository/acme/app?tab=history");
    await reader.page.getByRole("table", { name: "Tag history" }).waitFor();
    expect(await reader.page.getByRole("button", { name: /^Restore/ }).count()).toBe(0);
    await reader.page.getByRole("link", { name: /manifest of v1$/ }).count();
    await reader.page.goto("/repository/acme/app?tab=settings");
    expect(await reader.page.getByRole("button", { name: "Delete repository" }).count()).toBe(0);
    // No superuser panel in the navigation, and the panel says so when reached by its address.
    expect(await reader.page.getByRole("link", { name: "Superuser" }).count()).toBe(0);
    await reader.page.goto("/superuser");
    await reader.page.getByText("Superusers only").waitFor();
    // The organization shows its repositories, without its admin tabs.
    await reader.page.goto("/organization/acme");
    await reader.page.getByRole("link", { name: "app" }).waitFor();
    expect(await reader.page.getByRole("tab", { name: "Robot accounts" }).count()).toBe(0);
    expect(reader.problems).toEqual([]);
    await reader.page.context().close();
  });
});

describe("accounts from the sign-in page", () => {
  test("sign up when the registry takes new accounts", async () => {
    const { page: p, problems: seen } = await watchedPage(browser, srv.url);
    await p.goto("/signin");
    await p.getByRole("link", { name: "Create account" }).click();
    await p.getByLabel("Username").fill("newcomer");
    await p.getByLabel("Email").fill("newcomer@example.com");
    await p.getByLabel("Password").fill("newcomer-password-1");
    await p.getByRole("button", { name: "Create account" }).click();
    await p.getByRole("heading", { name: "Repositories", exact: true }).waitFor();
    await p.getByRole("link", { name: "newcomer" }).waitFor();
    expect(seen).toEqual([]);
    await p.context().close();
  });

  test("the first account, when user initialize is on", async () => {
    const fresh = await startBinary({ args: ["--auth", "token"], env: { BERTH_USER_INITIALIZE: "true" } });
    dirs.push(fresh.dataDir);
    try {
      const { page: p, problems: seen } = await watchedPage(browser, fresh.url);
      await p.goto("/signin");
      await p.getByRole("link", { name: "Create the first account" }).click();
      await p.getByLabel("Username").fill("admin");
      await p.getByLabel("Password").fill("first-admin-password");
      await p.getByRole("button", { name: "Create and sign in" }).click();
      await p.getByRole("heading", { name: "Repositories", exact: true }).waitFor();
      // `admin` is in the default superusers list: the panel is there.
      await p.getByRole("link", { name: "Superuser" }).waitFor();
      expect(seen).toEqual([]);
      await p.context().close();
    } finally {
      await fresh.stop();
    }
  });
});

describe("keyboard", () => {
  test("sign in, reach a repository and open a tag's details without the mouse", async () => {
    const { page: p, problems: seen } = await watchedPage(browser, srv.url);
    await p.goto("/signin");
    await p.getByLabel("Username").focus();
    await p.keyboard.type("admin");
    await p.keyboard.press("Tab");
    await p.keyboard.type(ADMIN_PASSWORD);
    await p.keyboard.press("Enter");
    await p.getByRole("heading", { name: "Repositories", exact: true }).waitFor();
    // Tab along until the repository's link has the focus, then follow it.
    for (let i = 0; i < 40 && (await p.evaluate("document.activeElement?.textContent")) !== "acme/app"; i++) await p.keyboard.press("Tab");
    await p.keyboard.press("Enter");
    await p.waitForURL(/\/repository\/acme\/app/);
    await p.getByRole("cell", { name: "v1", exact: true }).waitFor();
    const details = p.getByRole("row").filter({ has: p.getByRole("cell", { name: "v1", exact: true }) }).getByRole("button", { name: "Details" });
    await details.focus();
    await p.keyboard.press("Enter");
    await p.getByLabel("podman pull v1").waitFor();
    expect(seen).toEqual([]);
    await p.context().close();
  });
});

describe("accessibility", () => {
  const PAGES = [
    "/signin",
    "/repository",
    "/repository/acme/app?tab=tags",
    "/repository/acme/app?tab=history",
    "/repository/acme/app?tab=logs",
    "/repository/acme/app?tab=settings",
    "/organization",
    "/organization/acme?tab=repositories",
    "/organization/acme?tab=teams",
    "/organization/acme?tab=robots",
    "/organization/acme?tab=defaults",
    "/organization/acme?tab=applications",
    "/organization/acme?tab=logs",
    "/organization/acme?tab=lifecycle",
    "/organization/acme?tab=settings",
    "/user/admin?tab=settings",
    "/user/admin?tab=tokens",
    "/user/admin?tab=robots",
    "/user/admin?tab=cli",
    "/user/admin?tab=logs",
    "/superuser?tab=users",
    "/superuser?tab=organizations",
    "/superuser?tab=logs",
  ];

  test("no serious or critical axe violation on any page", async () => {
    const { page: p } = await watchedPage(browser, srv.url);
    const found: string[] = [];
    await p.goto("/signin");
    const scan = async (path: string) => {
      await p.goto(path);
      await p.locator("main").waitFor();
      // Wait until the page's loads settled (no spinner left).
      await p.waitForLoadState("networkidle");
      await p.locator('[role="progressbar"]').first().waitFor({ state: "detached" });
      for (const v of await axeViolations(p)) {
        if (v.impact === "serious" || v.impact === "critical") found.push(`${path}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      }
    };
    await scan("/signin");
    await signIn(p, "admin", ADMIN_PASSWORD);
    for (const path of PAGES.slice(1)) await scan(path);
    const digest = await p.evaluate(async () => {
      const r = await fetch("/api/v1/repository/acme/app/tag/?specificTag=v1", { headers: { "X-Requested-With": "XMLHttpRequest" } });
      return ((await r.json()) as { tags: { manifest_digest: string }[] }).tags[0]!.manifest_digest;
    });
    await scan(`/repository/acme/app?tab=tags&manifest=${digest}`);
    expect(found).toEqual([]);
    await p.context().close();
  });
});
