import { createServer, Socket } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A raw PING with a short timeout, so a missing Redis is noticed in half a second. */
export function pingRedis(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || 6379), hostname, () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * The process id of the Redis that answers at `url` (INFO server), or undefined when none answers
 * within the timeout: tells a Redis of one's own from another process's on the same port.
 */
export function redisProcessId(url: string, timeoutMs = 500): Promise<number | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    let text = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.connect(Number(port || 6379), hostname, () => socket.write('INFO server\r\n'));
    socket.on('data', (data) => {
      text += data.toString();
      if (text.startsWith('-')) return done(undefined);
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(text);
      if (match) done(Number(match[1]));
    });
  });
}

/** host:port of a Redis URL, without the credentials it may carry (for messages). */
export function redisAddress(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || 6379}`;
}
