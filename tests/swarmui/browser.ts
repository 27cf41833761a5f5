// Real Chromium for the SwarmUI tests and bench: Debian's /usr/bin/chromium (never a downloaded
// browser) through playwright-core, headless, WebGL on SwiftShader, a fresh temporary profile,
// and the background-networking switches off (on this closed network chromium otherwise floods
// refused connections). Each page records console errors, CSP violations and every request.

import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.SWARMUI_CHROMIUM ?? "/usr/bin/chromium";

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
      "--use-gl=angle",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
  });
}

export interface Watched {
  page: Page;
  errors: string[];
  csp: string[];
  requests: string[];
}

/** A page at 1400x900 (the original's UI test viewport) that records what went wrong and every request. */
export async function watchedPage(b: Browser, viewport = { width: 1400, height: 900 }, deviceScaleFactor = 1): Promise<Watched> {
  const ctx = await b.newContext({ viewport, deviceScaleFactor, locale: "en-US", colorScheme: "dark" });
  const page = await ctx.newPage();
  const w: Watched = { page, errors: [], csp: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") w.errors.push(m.text());
  });
  page.on("pageerror", (e) => w.errors.push(String(e)));
  page.on("request", (r) => w.requests.push(r.url()));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __csp: string[] }).__csp ??= [];
      (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return w;
}

export async function cspViolations(p: Page): Promise<string[]> {
  return p.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}
