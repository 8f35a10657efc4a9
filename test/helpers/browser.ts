import fs from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  process.stderr.write(
    `e2e skipped: ${CHROMIUM} not found (scripts/test.sh installs it: apt-get install chromium)\n`,
  );
}

/** Debian's Chromium, headless, resolving nothing but loopback names. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1",
    ],
  });
}

/**
 * What keeps a page from fitting its viewport: the document wider than the window,
 * controls (top bar, links, buttons, fields) off screen outside a scrolling table, and at
 * desktop widths a table wider than its card. Empty when the page fits.
 */
export async function fitProblems(page: import("playwright-core").Page): Promise<string[]> {
  // a string, so the page's DOM types stay out of the Node program
  return page.evaluate(`(() => {
    const out = [];
    const doc = document.scrollingElement;
    if (doc.scrollWidth > innerWidth) out.push("page is " + doc.scrollWidth + "px wide");
    const controls = ".topbar a, .topbar button, main button, main a, main input, main select";
    for (const el of document.querySelectorAll(controls)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // hidden, as in a closed <details>
      if (el.closest(".table-wrap")) continue; // reachable by scrolling the table
      if (r.left < -1 || r.right > innerWidth + 1) {
        out.push("off screen: " + ((el.textContent || "").trim() || el.tagName));
      }
    }
    if (innerWidth >= 1280) {
      for (const w of document.querySelectorAll(".table-wrap")) {
        if (w.scrollWidth > w.clientWidth + 1) out.push("a table wider than its card");
      }
    }
    return out;
  })()`);
}
