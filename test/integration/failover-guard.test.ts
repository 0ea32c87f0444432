import { afterAll, describe, expect, it } from 'vitest';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ReplicaAck } from '@gw/config';
import { redisProcessId, startPrivateRedis, type PrivateRedis } from '@gw/process-tools';
import { FailoverGuard } from '../../apps/worker/src/failover-guard.ts';
import { uniquePrefix } from '../support/harness.ts';

/**
 * What keeps a Redis failover (Sentinels) from sending a message twice: a send's start must reach a replica
 * before Meta is called (ReplicaAck), and when no replica confirms it, the current primary must show the send is
 * this worker's alone (FailoverGuard). Against real Redis processes: a primary and its replica, a replica frozen
 * with SIGSTOP (one that lags), a real BullMQ job's lock.
 */
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

async function redis(): Promise<{ server: PrivateRedis; client: Redis }> {
  const server = await startPrivateRedis();
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  closers.push(
    () => server.stop(),
    async () => client.disconnect(),
  );
  return { server, client };
}

/** A primary and a replica in sync, and the replica's process id (to freeze it). */
async function primaryAndReplica() {
  const primary = await redis();
  const replica = await redis();
  // The first sync at once, not after the default 5 s wait for more replicas.
  await primary.client.config('SET', 'repl-diskless-sync-delay', '0');
  await replica.client.replicaof('127.0.0.1', primary.server.port);
  // Streaming: after a diskless sync the replica acknowledges writes only from its first ACK (within a second).
  const acknowledged = async () => {
    await primary.client.incr('synced');
    return primary.client.wait(1, 100);
  };
  await expect.poll(async () => (await acknowledged()) + (await acknowledged()), { timeout: 10_000 }).toBe(2);
  const replicaPid = (await redisProcessId(replica.server.url))!;
  closers.push(async () => process.kill(replicaPid, 'SIGCONT'));
  return { primary: primary.client, replica: replica.client, replicaPid };
}

const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const started = Date.now();
  const value = await run();
  return [value, Date.now() - started];
};

describe('ReplicaAck', () => {
  it('confirms a write once the replica has it, waits for a replica that lags, and gives up after lagMs', async () => {
    const { primary, replicaPid } = await primaryAndReplica();
    const ack = new ReplicaAck(100, 5000, 800);
    await primary.set('k', '1');
    expect(await ack.confirm(primary)).toBe(true);

    process.kill(replicaPid, 'SIGSTOP');
    await primary.set('k', '2');
    const [gaveUp, waited] = await timed(() => ack.confirm(primary));
    expect(gaveUp).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(800);
    // Then skipped for a while: a replica that lags that much would hold every send as long.
    const [skipped, skippedMs] = await timed(() => ack.confirm(primary));
    expect(skipped).toBe(false);
    expect(skippedMs).toBeLessThan(50);

    // Waited for (a ReplicaAck that is not skipping), a replica that lags confirms once it catches up.
    setTimeout(() => process.kill(replicaPid, 'SIGCONT'), 400);
    const [confirmed, caughtUpAfter] = await timed(() => new ReplicaAck(100, 5000, 10_000).confirm(primary));
    expect(confirmed).toBe(true);
    expect(caughtUpAfter).toBeGreaterThanOrEqual(300);
  });

  it('with no replica online, confirms nothing and skips waiting for a while', async () => {
    const { primary, replica } = await primaryAndReplica();
    await replica.replicaof('NO', 'ONE');
    await expect.poll(async () => /connected_slaves:0/.test(await primary.info('replication'))).toBe(true);
    const ack = new ReplicaAck(100, 60_000, 10_000);
    await primary.set('k', '1');
    const [first, firstMs] = await timed(() => ack.confirm(primary));
    expect(first).toBe(false);
    expect(firstMs).toBeLessThan(5000);
    const [second, secondMs] = await timed(() => ack.confirm(primary));
    expect(second).toBe(false);
    expect(secondMs).toBeLessThan(50);
  });
});

describe('FailoverGuard', () => {
  it('lets a batch job unconfirmed by a replica be sent only while the current primary holds it under this worker’s lock', async () => {
    const { client, server } = await redis();
    const prefix = uniquePrefix();
    const connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
    const queue = new Queue('send', { connection, prefix });
    const worker = new Worker('send', null, { connection, prefix, lockDuration: 60_000 });
    closers.push(
      () => queue.close(),
      () => worker.close(),
    );
    await queue.add('send-batch', { items: [] }, { jobId: 'batch-1' });
    const job = await worker.getNextJob('token-a');
    expect(job?.id).toBe('batch-1');
    const jobKey = worker.toKey('batch-1');
    const guard = new FailoverGuard(new ReplicaAck(50));

    // No replica: nothing confirms the start, so the lock decides.
    expect(await guard.jobIsOurs(client, jobKey, 'token-a')).toBe(true);
    expect(await guard.jobIsOurs(client, jobKey, 'token-b')).toBe(false);
    // A failover that undid the start: the promoted replica has the job waiting, with no lock.
    await client.del(`${jobKey}:lock`);
    expect(await guard.jobIsOurs(client, jobKey, 'token-a')).toBe(false);
    // One that undid its add too: no other worker can take it, so it is sent here.
    await client.del(jobKey);
    expect(await guard.jobIsOurs(client, jobKey, 'token-a')).toBe(true);
  });

  it('runs a carried batch whose pop no replica confirmed once: a second pop of it (the first undone by a failover) does not run', async () => {
    const { client } = await redis();
    const claimKey = `${uniquePrefix()}:lane:{x.0}:claimed:batch-1`;
    const guard = new FailoverGuard(new ReplicaAck(50));
    expect(await guard.batchIsOurs(client, claimKey, 60)).toBe(true);
    expect(await guard.batchIsOurs(client, claimKey, 60)).toBe(false);
    expect(await client.ttl(claimKey)).toBeGreaterThan(50);
  });

  it('needs neither lock nor claim when a replica confirmed the start', async () => {
    const { primary } = await primaryAndReplica();
    const guard = new FailoverGuard(new ReplicaAck(1000));
    await primary.set('start', '1');
    // A job another worker's lock holds: only the replica's confirmation makes it ours.
    await primary.hset('job-1', 'name', 'send-batch');
    await primary.set('job-1:lock', 'token-x');
    expect(await guard.jobIsOurs(primary, 'job-1', 'token-b')).toBe(true);
    expect(await primary.exists('claimed')).toBe(0);
    expect(await guard.batchIsOurs(primary, 'claimed', 60)).toBe(true);
    expect(await primary.exists('claimed')).toBe(0);
  });
});
