import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the client endpoint received, with the exact bytes. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
  /** What the endpoint answered. */
  status: number;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** Never answer (the gateway's timeout ends the attempt). */
  hang?: boolean;
}

/**
 * A stack's webhook endpoint: records every request and answers what the test
 * says. Verifies nothing itself; tests check signatures with `verifySignatures`.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private answer: (request: ReceivedRequest) => Answer = () => ({ status: 200 });

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly secret: string,
  ) {}

  static async start(secret: string): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const request: ReceivedRequest = { headers: req.headers, raw, body, at: Date.now(), status: 0 };
        const answer = receiver!.answer(request);
        request.status = answer.hang ? 0 : (answer.status ?? 200);
        receiver!.requests.push(request);
        if (answer.hang) return;
        res.writeHead(request.status, answer.headers ?? {}).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/hooks`, secret);
    return receiver;
  }

  respond(answer: (request: ReceivedRequest) => Answer): void {
    this.answer = answer;
  }

  /** Requests answered 2xx: what the client actually accepted. */
  get delivered(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Every status entry in accepted deliveries, with the phone number id of its change. */
  statuses(): Array<Record<string, any> & { phoneNumberId: string }> {
    return this.changes().flatMap((c) => (c.value?.statuses ?? []).map((s: object) => ({ ...s, phoneNumberId: c.value?.metadata?.phone_number_id })));
  }

  /** Every change in accepted deliveries. */
  changes(): Array<{ field: string; value: any }> {
    return this.delivered.flatMap((r) => (r.body?.entry ?? []).flatMap((e: { changes?: unknown[] }) => e.changes ?? [])) as Array<{ field: string; value: any }>;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Checks both signatures the gateway promises, independently of its code. */
export function verifySignatures(request: ReceivedRequest, secret: string): { hub: boolean; standard: boolean } {
  const hub = `sha256=${createHmac('sha256', secret).update(request.raw, 'utf8').digest('hex')}`;
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const standard = `v1,${createHmac('sha256', Buffer.from(secret)).update(`${id}.${timestamp}.${request.raw}`, 'utf8').digest('base64')}`;
  return { hub: request.headers['x-hub-signature-256'] === hub, standard: request.headers['webhook-signature'] === standard };
}
