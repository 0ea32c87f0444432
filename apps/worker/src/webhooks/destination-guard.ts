import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Addresses a webhook must not reach unless private URLs are allowed: loopback, private, link-local and the like. */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export function isPrivateAddress(address: string): boolean {
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export const PRIVATE_ADDRESS_CODE = 'EWEBHOOK_PRIVATE_ADDRESS';

function refusal(hostname: string, address: string): Error {
  return Object.assign(new Error(`webhook URL host ${hostname} resolves to ${address}, a private, loopback or link-local address (set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow)`), {
    code: PRIVATE_ADDRESS_CODE,
  });
}

function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

/** Resolves the URL's host and returns why it is refused, or undefined when every address is public. */
export async function refusedDestination(url: string): Promise<string | undefined> {
  const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(hostname);
  } catch {
    return undefined; // unresolvable now: the attempt fails and is retried like any connection error
  }
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  return bad ? refusal(hostname, bad.address).message : undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the HTTP agent's sockets: checks the addresses actually
 * connected to, so a DNS answer that changes after the pre-check (rebinding)
 * cannot reach a private address either.
 */
export function guardedLookup(hostname: string, options: { all?: boolean; family?: number } | undefined, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(refusal(hostname, bad.address), []);
    if (options?.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}
