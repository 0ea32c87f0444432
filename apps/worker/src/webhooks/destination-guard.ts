import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * An allowlist: a webhook may reach only public unicast addresses.
 * IPv4: everything outside the special-purpose blocks (RFC 6890 and successors).
 * IPv6: only global unicast (2000::/3), minus its special-purpose blocks; so
 * ::/96 (IPv4-compatible), ::ffff:0:0:0/96 (SIIT), 64:ff9b::/96 and 64:ff9b:1::/48
 * (NAT64), fc00::/7, fe80::/10, fec0::/10 (site-local), ff00::/8 and the rest
 * are refused. An IPv4-mapped address (::ffff:a.b.c.d) is judged as its IPv4.
 */
const specialV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  specialV4.addSubnet(net, prefix, 'ipv4');
}
const globalUnicastV6 = new BlockList();
globalUnicastV6.addSubnet('2000::', 3, 'ipv6');
const specialV6 = new BlockList();
for (const [net, prefix] of [
  ['2001::', 23], // IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID, ...
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation (RFC 9637)
] as const) {
  specialV6.addSubnet(net, prefix, 'ipv6');
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** True unless the address is public unicast (the only kind a webhook may reach by default). */
export function isPrivateAddress(address: string): boolean {
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return specialV4.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  if (family === 4) return specialV4.check(address, 'ipv4');
  return !globalUnicastV6.check(address, 'ipv6') || specialV6.check(address, 'ipv6');
}

/** Ports a webhook URL may use: 80, 443 and every port from 1024 up (not SSH, SMTP, DNS and the other system ports). */
export function isAllowedPort(port: number): boolean {
  return port === 80 || port === 443 || (port >= 1024 && port <= 65535);
}

/** The URL's port (its scheme's default when none is given). */
function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export const PRIVATE_ADDRESS_CODE = 'EWEBHOOK_PRIVATE_ADDRESS';

function refusal(hostname: string, address: string): Error {
  return Object.assign(
    new Error(
      `webhook URL host ${hostname} resolves to ${address}, not a public unicast address (private, loopback, link-local, translation or another special range; set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow)`,
    ),
    { code: PRIVATE_ADDRESS_CODE },
  );
}

function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

/** Resolves the URL's host and returns why it is refused, or undefined when every address is public. */
export async function refusedDestination(url: string): Promise<string | undefined> {
  const parsed = new URL(url);
  const port = portOf(parsed);
  if (!isAllowedPort(port)) return `webhook URL port ${port} is not allowed (80, 443 and 1024-65535 are; set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow any)`;
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
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
