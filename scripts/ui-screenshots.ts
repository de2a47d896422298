#!/usr/bin/env bun
// Regenerates the web UI's screenshots in docs/ui/ (shown in the README):
//   bun scripts/ui-screenshots.ts
// Builds dist/berth, starts it over a fresh data directory, seeds an organization, repositories
// and a push (test/support/uiSeed.ts), and photographs the main pages in headless Chromium.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, signIn } from "../test/support/browser";
import { ROOT, startBinary } from "../test/support/server";
import { seedShowcase } from "../test/support/uiSeed";

const PASSWORD = "screenshot-password";
const OUT = join(ROOT, "docs/ui");

const PAGES: [string, string][] = [
  ["repositories", "/repository"],
  ["repository-tags", "/repository/acme/api?tab=tags"],
  ["repository-history", "/repository/acme/api?tab=history"],
  ["repository-settings", "/repository/acme/api?tab=settings"],
  ["organization-teams", "/organization/acme?tab=teams"],
  ["organization-robots", "/organization/acme?tab=robots"],
  ["organization-logs", "/organization/acme?tab=logs"],
  ["account-cli", "/user/admin?tab=cli"],
  ["superuser-users", "/superuser?tab=users"],
];

const srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
const browser = await launchBrowser();
try {
  await seedShowcase(srv.url, `127.0.0.1:${srv.port}`, PASSWORD);
  const context = await browser.newContext({ baseURL: srv.url, viewport: { width: 1280, height: 760 } });
  const page = await context.newPage();
  mkdirSync(OUT, { recursive: true });
  await page.goto("/signin");
  await page.screenshot({ path: join(OUT, "signin.png") });
  await signIn(page, "admin", PASSWORD);
  for (const [name, path] of PAGES) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    await page.locator('[role="progressbar"]').first().waitFor({ state: "detached" });
    if (name === "repository-tags") await page.getByRole("button", { name: "Details" }).first().click();
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`docs/ui/${name}.png`);
  }
  // The manifest view of the tagged image.
  await page.goto("/repository/acme/api?tab=tags");
  await page.getByRole("link", { name: /manifest of latest$/ }).click();
  await page.getByRole("table", { name: "Layers" }).waitFor();
  await page.screenshot({ path: join(OUT, "manifest.png") });
} finally {
  await browser.close();
  await srv.stop();
  rmSync(srv.dataDir, { recursive: true, force: true });
}
