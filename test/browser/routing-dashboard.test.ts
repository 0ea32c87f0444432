import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { get, makeStack, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * The routing dashboard (admin area, beside Bull Board, same login) in Debian's Chromium: its
 * figures must be the ones `GET /analytics/routes` and `GET /messages/{wamid}` answer.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Skipping the routing dashboard browser test: ${CHROMIUM} is missing (apt-get install -y chromium).`);

const secrets = webhookSecrets();
const stack = makeStack();
const other = makeStack();
const startedAt = Date.now();
let sim: Simulator;
let gateway: Gateway;
let browser: Browser;
let page: Page;
let fallbackWamid: string;

interface Row {
  route: string;
  template: string;
  sends: number;
  delivered: number;
  read: number;
  clicked: number;
  fallbacks: Record<string, number>;
}

const percent = (count: number, sends: number) => `${((sends === 0 ? 0 : count / sends) * 100).toFixed(1)}%`;
const auth = { authorization: `Bearer ${stack.apiKey}` };
const apiRows = async (): Promise<Row[]> => {
  const answer = await get(`${gateway.url}/analytics/routes?granularity=day&from=${new Date(startedAt - 3_600_000).toISOString()}`, auth);
  expect(answer.status).toBe(200);
  return answer.body.data as Row[];
};
const sum = (rows: Row[], pick: (row: Row) => number) => rows.reduce((total, row) => total + pick(row), 0);

describe.skipIf(!hasChromium)('the routing dashboard in a browser', () => {
  beforeAll(async () => {
    sim = await startSimulator();
    for (const s of [stack, other]) await sim.control.account(s);
    await sim.control.templates([
      { wabaId: stack.wabaId, name: 'dash_promo', language: 'en_US', category: 'MARKETING' },
      { wabaId: stack.wabaId, name: 'dash_util', language: 'en_US', category: 'UTILITY' },
    ]);
    gateway = await startGateway({ stacks: [stack, other], metaUrl: sim.url, env: webhookEnv(secrets) });
    await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });
    // Two MM sends (checked, then from the cache), a checked fallback to the Cloud API, then Cloud from the cache.
    for (const name of ['dash_promo', 'dash_promo']) expect((await sendVia(gateway, stack, templateMessage(name))).status).toBe(200);
    const fallback = await sendVia(gateway, stack, templateMessage('dash_util'));
    expect(fallback.headers['x-gateway-route-reason']).toBe('checked_fallback');
    fallbackWamid = fallback.body.messages[0].id as string;
    expect((await sendVia(gateway, stack, templateMessage('dash_util'))).headers['x-gateway-route-reason']).toBe('cached_non_marketing');
    // Every send counted and every message delivered, as the API says, before the page is read.
    await waitFor('the sends and their deliveries in the analytics', async () => {
      const rows = await apiRows();
      return sum(rows, (r) => r.sends) === 4 && sum(rows, (r) => r.delivered) === 4;
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await sim?.stop();
  });

  it('sends a browser without a session to the login page, and shows the dashboard after login', async () => {
    await page.goto(`${gateway.url}/admin/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', secrets.adminToken);
    await Promise.all([page.waitForURL(/\/admin\/queues/), page.click('button[type=submit]')]);
    await page.goto(`${gateway.url}/admin/dashboard?stack=${encodeURIComponent(stack.id)}&hours=24`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Routing dashboard');
  });

  it("shows the API's figures: route share, fallback reasons and MM against Cloud rates per template", async () => {
    const rows = await apiRows();
    const mm = rows.filter((r) => r.route === 'marketing_messages');
    const cloud = rows.filter((r) => r.route === 'cloud_api');
    expect(await page.locator('[data-total=mm]').textContent()).toBe(String(sum(mm, (r) => r.sends)));
    expect(await page.locator('[data-total=cloud]').textContent()).toBe(String(sum(cloud, (r) => r.sends)));
    expect(sum(mm, (r) => r.sends)).toBe(2);
    // The chart has a bar per bucket with the route split in its title.
    await expect(page.locator('svg[aria-label="Route share over time"] rect.mm').count()).resolves.toBeGreaterThan(0);

    const fallbacks = cloud.reduce<Record<string, number>>((all, r) => {
      for (const [reason, n] of Object.entries(r.fallbacks)) all[reason] = (all[reason] ?? 0) + n;
      return all;
    }, {});
    expect(fallbacks).toEqual({ checked_fallback: 1 });
    expect(await page.locator('#fallbacks tr[data-reason=checked_fallback] td').nth(1).textContent()).toBe('1');

    for (const template of ['dash_promo:en_US', 'dash_util:en_US']) {
      const line = page.locator(`#templates tr[data-template="${template}"]`);
      for (const [route, side] of [
        ['marketing_messages', 'mm'],
        ['cloud_api', 'cloud'],
      ] as const) {
        const of = rows.filter((r) => r.template === template && r.route === route);
        const sends = sum(of, (r) => r.sends);
        expect(await line.locator(`[data-cell=${side}-sends]`).textContent(), `${template} ${side} sends`).toBe(String(sends));
        expect(await line.locator(`[data-cell=${side}-delivered]`).textContent()).toBe(
          percent(
            sum(of, (r) => r.delivered),
            sends,
          ),
        );
        expect(await line.locator(`[data-cell=${side}-read]`).textContent()).toBe(
          percent(
            sum(of, (r) => r.read),
            sends,
          ),
        );
        expect(await line.locator(`[data-cell=${side}-clicked]`).textContent()).toBe(
          percent(
            sum(of, (r) => r.clicked),
            sends,
          ),
        );
      }
    }
    expect(await page.locator('#templates tr[data-template="dash_promo:en_US"] [data-cell=mm-sends]').textContent()).toBe('2');
  });

  it('shows what the category cache knows about the stack', async () => {
    await expect(page.locator('#categories tr[data-category="dash_promo:en_US"] td').nth(2).textContent()).resolves.toBe('marketing');
    await expect(page.locator('#categories tr[data-category="dash_util:en_US"] td').nth(2).textContent()).resolves.toBe('non_marketing');
  });

  it("finds a message's audit entry by wamid, as GET /messages/{wamid} answers it, and saves a screenshot", async () => {
    const api = await get(`${gateway.url}/messages/${encodeURIComponent(fallbackWamid)}`, auth);
    expect(api.status).toBe(200);
    await page.fill('#wamid', fallbackWamid);
    await Promise.all([page.waitForURL(/wamid=/), page.getByRole('button', { name: 'Search' }).click()]);
    expect(await page.locator('#audit-entry [data-field=route]').textContent()).toBe(api.body.route);
    expect(await page.locator('#audit-entry [data-field=reason]').textContent()).toBe('checked_fallback');
    expect(await page.locator('#audit-entry [data-field=mmErrorCode]').textContent()).toBe(String(api.body.mmErrorCode));
    const statuses = await page.locator('#audit-entry tr[data-status]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));
    expect(statuses).toEqual(api.body.statuses.map((s: { status: string }) => s.status));

    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'routing-dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);

    // Another stack's wamid is not found from that stack's view.
    await page.goto(`${gateway.url}/admin/dashboard?stack=${encodeURIComponent(other.id)}&wamid=${encodeURIComponent(fallbackWamid)}`);
    await expect(page.locator('#audit-none').count()).resolves.toBe(1);
  });
});
