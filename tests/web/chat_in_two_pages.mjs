// The web chat page in a real browser: headless Chromium (Debian's, driven by
// playwright-core from web/node_modules) opens the page twice, in two
// separate browser contexts, one per user. Each registers and logs in over
// WebSocket; alice opens a chat with bob and sends; bob's conversation list
// shows it unread, he opens it and sees it; alice sees the read receipt;
// bob types (alice sees "bob… is typing") and replies; alice sees the reply
// live. Bob then reloads the page, logs in again and finds both messages in
// the history. Screenshots of both pages go to OUT_DIR.
//
// Usage: node chat_in_two_pages.mjs PAGE_URL OUT_DIR. Exit 0 when every
// step was seen, 1 naming the step that was not (each waits at most 15 s).

import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error('usage: node chat_in_two_pages.mjs PAGE_URL OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const STEP_MS = 15000;
const password = 'pw-web-test-1';
const suffix = Date.now().toString(36).slice(-6);
const alice = `alice${suffix}`;
const bob = `bob${suffix}`;

let step = 'starting Chromium';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const pageErrors = [];

async function logIn(user, register) {
  step = `${user}: opening ${url}`;
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,  // the launcher's development certificate
    viewport: { width: 960, height: 600 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  step = `${user}: ${register ? 'registering' : 'logging in'}`;
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click(register ? '#register' : '#login');
  await page.waitForSelector('#chat-view:not([hidden])');
  return page;
}

// Waits for `selector` to be visible (or only in the page, with `attached`).
async function see(page, what, selector, state = 'visible') {
  step = what;
  await page.locator(selector).first().waitFor({ state });
}

try {
  const a = await logIn(alice, true);
  const b = await logIn(bob, true);

  step = 'alice: opening a chat with bob and sending';
  await a.fill('#new-peer', bob);
  await a.click('#open-peer');
  await a.fill('#text', 'hello from the browser');
  await a.click('#send');
  await see(a, 'alice: her message in the conversation',
            '#messages li.mine .text:text-is("hello from the browser")');

  const item = `#conversations li[data-conv="${alice}"]`;
  await see(b, "bob: alice's conversation in the list, 1 unread", `${item} .unread:text-is("1")`);
  await see(b, 'bob: the preview', `${item} .preview:text-is("hello from the browser")`);
  step = 'bob: opening the conversation';
  await b.click(item);
  await see(b, "bob: alice's message", '#messages li:not(.mine) .text:text-is("hello from the browser")');
  await see(b, 'bob: the unread count cleared', `${item} .unread:empty`, 'attached');
  await see(a, 'alice: the read receipt', '#messages li.mine .read');

  step = 'bob: typing';
  await b.type('#text', 'hi alice', { delay: 30 });
  await see(a, 'alice: bob is typing', `#typing:has-text("${bob} is typing")`);
  step = 'bob: sending';
  await b.click('#send');
  await see(a, "alice: bob's reply, live", '#messages li:not(.mine) .text:text-is("hi alice")');

  await a.screenshot({ path: `${outDir}/web-chat-alice.png` });
  await b.screenshot({ path: `${outDir}/web-chat-bob.png` });

  step = 'bob: reloading the page';
  const again = await logIn(bob, false);
  await again.click(item);
  await see(again, 'bob after a reload: the history',
            '#messages li.mine .text:text-is("hi alice")');
  await see(again, 'bob after a reload: alice\'s message in the history',
            '#messages li:not(.mine) .text:text-is("hello from the browser")');
  if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join('; ')}`);
  console.log(`ok: ${alice} and ${bob} chatted in two pages (screenshots in ${outDir})`);
  await browser.close();
} catch (error) {
  console.error(`FAIL at "${step}": ${error.message.split('\n')[0]}`);
  if (pageErrors.length) console.error(`errors in the page: ${pageErrors.join('; ')}`);
  await browser.close();
  process.exit(1);
}
