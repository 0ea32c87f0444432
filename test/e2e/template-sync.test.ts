import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@gw/process-tools';
import { get, makeStack, post, sendVia, startGateway, startSimulator, templateMessage, type Gateway, type Simulator, type TestStack } from '../support/harness.ts';
import { callsFor, waitFor } from '../support/assertions.ts';

const big = makeStack();
const periodic = makeStack();
const other = makeStack();
let sim: Simulator;
let gateway: Gateway;
let synced: Gateway;

const auth = (s: TestStack) => ({ authorization: `Bearer ${s.apiKey}` });
const categories = async (s: TestStack, gw = gateway) =>
  (await get(`${gw.url}/templates/categories`, auth(s))).body.data as Array<{ name: string; language: string; category: string; source: string }>;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(big);
  await sim.control.account(periodic);
  // 500 templates: even ones marketing, odd ones utility, half of them in en-US spelling.
  await sim.control.templates(
    Array.from({ length: 500 }, (_, i) => ({
      wabaId: big.wabaId,
      name: `tpl_${String(i).padStart(3, '0')}`,
      language: i % 4 < 2 ? 'en_US' : 'en-US',
      category: i % 2 ? 'UTILITY' : 'MARKETING',
    })),
  );
  await sim.control.template(periodic.wabaId, 'flip_me', 'UTILITY');
  gateway = await startGateway({ stacks: [big, other], metaUrl: sim.url, env: { TEMPLATE_SYNC_PAGE_SIZE: '50' } });
  synced = await startGateway({ stacks: [periodic], metaUrl: sim.url, env: { TEMPLATE_SYNC_INTERVAL_MS: '700' } });
});

afterAll(async () => {
  await gateway?.stop();
  await synced?.stop();
  await sim?.stop();
});

async function finished(id: string, stack: TestStack) {
  return waitFor(
    'warm-up to finish',
    async () => {
      const status = await get(`${gateway.url}/templates/warmup/${id}`, auth(stack));
      return ['completed', 'failed'].includes(status.body.state) && status.body;
    },
    20_000,
  );
}

describe('warm-up', () => {
  it('warms a 500-template WABA over several pages and routes from it without probing', async () => {
    const accepted = await post(`${gateway.url}/templates/warmup`, {}, auth(big));
    expect(accepted.status).toBe(202);
    const status = await finished(accepted.body.id, big);
    expect(status).toMatchObject({ state: 'completed', failed_reason: null });
    expect(status.summary).toMatchObject({ marketing: 250, nonMarketing: 250, notFound: [], errors: [], pages: 10 });
    expect((await sim.control.requests({ endpoint: 'message_templates' })).filter((r) => r.wabaId === big.wabaId)).toHaveLength(10);

    const cached = await categories(big);
    expect(cached).toHaveLength(500);
    expect(cached.every((c) => c.source === 'sync' && c.language === 'en_US')).toBe(true);

    const marketing = await sendVia(gateway, big, templateMessage('tpl_002', 'en-US'));
    expect(marketing.headers['x-gateway-route-reason']).toBe('cached_marketing');
    const utility = await sendVia(gateway, big, templateMessage('tpl_001'));
    expect(utility.headers['x-gateway-route-reason']).toBe('cached_non_marketing');
    expect(await callsFor(sim.control, 'tpl_001')).toMatchObject({ mm: 0, cloud: 1 });
  });

  it('warms only the listed templates and reports the ones Meta does not know', async () => {
    const accepted = await post(
      `${gateway.url}/templates/warmup`,
      {
        templates: [
          { name: 'tpl_010', language: 'en_US' },
          { name: 'missing', language: 'en_US' },
        ],
      },
      auth(big),
    );
    const status = await finished(accepted.body.id, big);
    expect(status).toMatchObject({ state: 'completed', failed_reason: null });
    expect(status.summary).toMatchObject({ marketing: 1, nonMarketing: 0, notFound: [{ name: 'missing', language: 'en_US' }] });
  });

  it('refuses a malformed warm-up body with a Meta-format 400', async () => {
    const answer = await post(`${gateway.url}/templates/warmup`, { templates: [{ name: 'x' }] }, auth(big));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(100);
  });

  it("hides another stack's warm-up job", async () => {
    const accepted = await post(`${gateway.url}/templates/warmup`, { templates: [{ name: 'tpl_000', language: 'en_US' }] }, auth(big));
    const mine = await get(`${gateway.url}/templates/warmup/${accepted.body.id}`, auth(big));
    expect(mine.status).toBe(200);
    const theirs = await get(`${gateway.url}/templates/warmup/${accepted.body.id}`, auth(other));
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe(100);
  });

  it('evicts one cached category', async () => {
    const url = `${gateway.url}/templates/categories/tpl_004/en-US`;
    const response = await fetch(url, { method: 'DELETE', headers: auth(big) });
    expect(response.status).toBe(200);
    expect((await categories(big)).find((c) => c.name === 'tpl_004')).toBeUndefined();
    expect((await fetch(url, { method: 'DELETE', headers: auth(big) })).status).toBe(404);
  });

  it('runs from the command line with a progress bar and a summary', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${REPO_ROOT}/scripts/warmup.ts`, '--stack', big.id, '--template', 'tpl_020:en_US', '--template', 'nope:en_US'], {
      cwd: REPO_ROOT,
      env: gateway.env,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(output).toMatch(/Warm-up job \S+ queued/);
    expect(output).toMatch(/marketing\s*│\s*1/);
    expect(output).toMatch(/not found: nope \(en_US\)/);
    expect(code).toBe(0);
  });

  it('stops at once with a clear error when no worker listens under the prefix it was given', async () => {
    const wrongPrefix = `${gateway.env.REDIS_KEY_PREFIX}-typo`;
    const child = spawn(process.execPath, ['--import', 'tsx', `${REPO_ROOT}/scripts/warmup.ts`, '--stack', big.id], {
      cwd: REPO_ROOT,
      env: { ...gateway.env, REDIS_KEY_PREFIX: wrongPrefix },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // Without the check it would wait --wait-seconds (600 s), far past this test's timeout.
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(1);
    expect(output).toContain(`No gateway worker is listening at`);
    expect(output).toContain(`REDIS_KEY_PREFIX=${wrongPrefix}; nothing was queued`);
    expect(output).not.toMatch(/queued for stack/);
  });
});

describe('periodic sync', () => {
  it('picks up a category changed at Meta without any send', async () => {
    await waitFor('first sync', async () => (await categories(periodic, synced)).find((c) => c.name === 'flip_me' && c.category === 'non_marketing'));
    await sim.control.template(periodic.wabaId, 'flip_me', 'MARKETING');
    const after = await waitFor('the change', async () => (await categories(periodic, synced)).find((c) => c.name === 'flip_me' && c.category === 'marketing'));
    expect(after.source).toBe('sync');
  });
});
