// The real-browser test: Debian's Chromium, driven by playwright-core, opens authorization URLs
// on the emulator's consent page, clicks Authorize (then, for a second URL, Cancel), and lands on
// the web server's pages; then it opens the linked roles verification URL as a person coming from
// Discord would, authorizes, and lands on the page saying the account is linked (the browser
// carries the cookie that binds the callback to it). The C++ side (browser_flow) reports what
// wait_for_access_token returned and the role connection the emulator holds. A screenshot of each
// page is kept in the artifact directory.
//
//   node consent_flow.mjs BROWSER_FLOW_PROGRAM CHROMIUM ARTIFACT_DIR
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [program, chromiumPath, artifacts] = process.argv.slice(2);
if (!program || !chromiumPath || !artifacts) {
  console.error('usage: node consent_flow.mjs BROWSER_FLOW_PROGRAM CHROMIUM ARTIFACT_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

let failures = 0;
function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures++;
}

const flow = spawn(program, [], { stdio: ['ignore', 'pipe', 'inherit'] });
const flowExit = new Promise((resolve) => flow.on('exit', resolve));
const lines = createInterface({ input: flow.stdout })[Symbol.asyncIterator]();
const ready = JSON.parse((await lines.next()).value);

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // As root (CI), Chromium's sandbox cannot start; the pages are our own, on loopback.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();

  await page.goto(ready.approve);
  const consentHeading = await page.locator('h1').first().textContent();
  check(/wants to access your account/.test(consentHeading), `the consent page asks: "${consentHeading}"`);
  await page.screenshot({ path: path.join(artifacts, '1-consent.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Authorize' }).click()]);
  const successHeading = await page.locator('h1').first().textContent();
  check(successHeading === 'Authorized', `after Authorize the bot's page says "${successHeading}"`);
  const successText = await page.content();
  check(!/code=|access_token/.test(successText.replace(/<[^>]*>/g, '')), 'the success page shows no code or token');
  await page.screenshot({ path: path.join(artifacts, '2-success.png'), fullPage: true });

  await page.goto(ready.cancel);
  await page.screenshot({ path: path.join(artifacts, '3-consent-again.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Cancel' }).click()]);
  const cancelledHeading = await page.locator('h1').first().textContent();
  check(cancelledHeading === 'Authorization cancelled', `after Cancel the bot's page says "${cancelledHeading}"`);
  await page.screenshot({ path: path.join(artifacts, '4-cancelled.png'), fullPage: true });

  await page.goto(ready.linked_roles); // redirected to the consent page
  const linkedConsent = await page.locator('body').textContent();
  check(/role_connections\.write/.test(linkedConsent), 'the linked roles URL asks for role_connections.write');
  await page.screenshot({ path: path.join(artifacts, '5-linked-roles-consent.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Authorize' }).click()]);
  const linkedHeading = await page.locator('h1').first().textContent();
  check(linkedHeading === 'Roles updated', `after Authorize the linked roles page says "${linkedHeading}"`);
  await page.screenshot({ path: path.join(artifacts, '6-linked.png'), fullPage: true });
} finally {
  await browser.close();
}

const results = JSON.parse((await lines.next()).value);
check(results.approve.outcome === 'authorized', `wait_for_access_token after Authorize: ${results.approve.outcome}`);
check(results.approve.user_id === '80351110224678912', `the grant is the signed-in user's (${results.approve.user_id})`);
check(results.cancel.outcome === 'denied', `wait_for_access_token after Cancel: ${results.cancel.outcome}`);
check(results.linked.user_id === '80351110224678912', `the linked roles push was for the signed-in user (${results.linked.user_id})`);
check(results.linked.platform_name === 'Chess Club' && results.linked.rating === '1850',
      `the emulator holds the pushed role connection (${results.linked.platform_name}, rating ${results.linked.rating})`);
const exitCode = await flowExit;
check(exitCode === 0, 'browser_flow ended cleanly');
console.log(`screenshots: ${artifacts}`);
process.exit(failures ? 1 : 0);
