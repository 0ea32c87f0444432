import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { webhookSecrets } from '../support/webhooks.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Skipping the Bull Board browser test: ${CHROMIUM} is missing (apt-get install -y chromium).`);

const { adminToken } = webhookSecrets();
const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;
let browser: Browser;
/** The send's queue job: `x-gateway-job-id` is `<queue job>.<item>`. */
let queueJobId: string;

describe.skipIf(!hasChromium)('Bull Board in a browser', () => {
  beforeAll(async () => {
    sim = await startSimulator();
    await sim.control.account(stack);
    await sim.control.template(stack.wabaId, 'board_promo', 'MARKETING');
    gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { ADMIN_TOKEN: adminToken } });
    const sent = await sendVia(gateway, stack, templateMessage('board_promo'));
    expect(sent.status).toBe(200);
    const sendId = String(sent.headers['x-gateway-job-id']);
    queueJobId = sendId.slice(0, sendId.lastIndexOf('.'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await sim?.stop();
  });

  it('logs in with the admin token, shows the send queue with the completed job, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${gateway.url}/admin/queues`);
    // Without a session the browser lands on the login form, not on the board.
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', adminToken);
    await Promise.all([page.waitForURL(/\/admin\/queues/), page.click('button[type=submit]')]);

    await page.goto(`${gateway.url}/admin/queues/queue/send?status=completed`);
    await page.getByText(queueJobId, { exact: false }).first().waitFor({ timeout: 20_000 });
    for (const name of ['send', 'template-sync', 'webhook-inbound', 'webhook-delivery']) {
      await expect(page.getByText(name, { exact: true }).first().isVisible()).resolves.toBe(true);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'bull-board.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'gw_admin_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(JSON.stringify(cookies)).not.toContain(adminToken);
  });

  it('refuses the wrong token on the page itself (the form again with an error) and sets no cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${gateway.url}/admin/login`);
    await page.fill('#token', 'not-the-admin-token');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/login') && r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(response.status()).toBe(401);
    expect(await page.textContent('[role=alert]')).toContain('Wrong admin token');
    expect(await page.isVisible('#token')).toBe(true);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
