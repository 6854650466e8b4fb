import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  page: Page;
  // Chromium's console reports of anything the page's CSP refused, from every page opened.
  cspViolations: string[];
  close(): Promise<void>;
}

const CSP_VIOLATION =
  /Content Security Policy|Refused to (load|apply|execute|frame|connect)/i;

// Debian's Chromium driven by playwright-core; `npx playwright install` cannot download here.
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the console's browser tests need Debian's Chromium. ` +
        'Install it with: apt-get update && apt-get install -y chromium',
    );
  const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1400, height: 1100 },
    timeout: 60_000,
  });
  const cspViolations: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (CSP_VIOLATION.test(message.text()))
        cspViolations.push(message.text());
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    cspViolations,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
