import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_POINTS, REPO_ROOT, startService } from '@gw/process-tools';
import { makeStack, post, startGateway, startSimulator, textMessage, uniquePrefix, type Gateway, type Simulator, type TestStack } from '../support/harness.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

const secrets = webhookSecrets();
const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');
const prefix = uniquePrefix();
const seeded = makeStack();
const created = makeStack();
let sim: Simulator;
const running: Gateway[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  for (const stack of [seeded, created]) await sim.control.account(stack);
});

afterAll(async () => {
  await Promise.all(running.map((g) => g.stop()));
  await sim?.stop();
});

async function gatewayWith(keys: { STACKS_ENCRYPTION_KEY: string; STACKS_ENCRYPTION_KEY_PREVIOUS?: string }): Promise<Gateway> {
  const gateway = await startGateway({ stacks: [seeded], metaUrl: sim.url, prefix, env: webhookEnv(secrets, keys) });
  running.push(gateway);
  return gateway;
}

async function stop(gateway: Gateway) {
  await gateway.stop();
  running.splice(running.indexOf(gateway), 1);
}

const sendAs = (gateway: Gateway, stack: TestStack) => post(`${gateway.url}/messages`, textMessage('rotation'), { authorization: `Bearer ${stack.apiKey}` });

function rotate(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${REPO_ROOT}/scripts/rotate-stacks-key.ts`], { cwd: REPO_ROOT, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('rotating STACKS_ENCRYPTION_KEY online', () => {
  it('keeps every stack working while both keys are readable, re-encrypts with a command, then runs on the new key alone', async () => {
    const before = await gatewayWith({ STACKS_ENCRYPTION_KEY: oldKey });
    expect((await sendAs(before, seeded)).status).toBe(200);
    await stop(before);

    // Rolled out with the new key, the old one still readable: the seeded stack (old key) works,
    // and a stack created now is sealed with the new key.
    const during = await gatewayWith({ STACKS_ENCRYPTION_KEY: newKey, STACKS_ENCRYPTION_KEY_PREVIOUS: oldKey });
    expect((await sendAs(during, seeded)).status).toBe(200);
    const { apiKey: _omit, ...input } = created;
    const made = await post(`${during.url}/admin/stacks`, { ...input, apiKey: created.apiKey }, { authorization: `Bearer ${secrets.adminToken}` });
    expect(made.status).toBe(201);
    expect((await sendAs(during, created)).status).toBe(200);

    const first = await rotate(during.env);
    expect(first.output).toContain('Done: 1 re-encrypted, 1 already on the current key, 0 deleted meanwhile, 0 unreadable.');
    expect(first.code).toBe(0);
    expect(first.output).not.toContain(newKey);
    expect(first.output).not.toContain(oldKey);
    const again = await rotate(during.env);
    expect(again.output).toContain('Done: 0 re-encrypted, 2 already on the current key');
    await stop(during);

    // The old key is gone: both stacks work with the new key alone...
    const after = await gatewayWith({ STACKS_ENCRYPTION_KEY: newKey });
    expect((await sendAs(after, seeded)).status).toBe(200);
    expect((await sendAs(after, created)).status).toBe(200);
    // ...and a process given only the old key can no longer open them.
    const stale = await startService({ name: 'worker', entry: ENTRY_POINTS.worker, env: { ...after.env, STACKS_ENCRYPTION_KEY: oldKey } }).then(
      async (service) => (await service.stop(), 'started'),
      (error: Error) => error.message,
    );
    expect(stale).toMatch(/STACKS_ENCRYPTION_KEY: cannot read the secrets of stack/);
  });
});
