import { describe, expect, it } from 'vitest';
import { isPrivateAddress, refusedDestination } from './destination-guard.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    // The ranges the probe found open, and other special ones.
    '::a00:1',
    '::ffff:0:7f00:1',
    '::ffff:7f00:1',
    'fec0::1',
    '2002:7f00:1::1',
    '2001::1',
    '2001:0:7f00:1::1',
    '64:ff9b::7f00:1',
    '64:ff9b:1::a00:1',
    '2001:db8::1',
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '255.255.255.255',
    '224.0.0.1',
    'ff02::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '172.32.0.1', '31.13.64.35', '2a03:2880:f12f:83:face:b00c::25de', '::ffff:8.8.8.8', '2606:4700::1111', '2001:4860:4860::8888'])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('refusedDestination', () => {
  it('refuses a URL whose host resolves to loopback, naming the setting that allows it', async () => {
    expect(await refusedDestination('http://localhost:8080/hook')).toMatch(/WEBHOOK_ALLOW_PRIVATE_URLS/);
    expect(await refusedDestination('http://127.0.0.1/hook')).toMatch(/127\.0\.0\.1/);
    expect(await refusedDestination('http://[::1]:9000/hook')).toMatch(/::1/);
  });

  it('lets a public literal address through on 80, 443 and ports from 1024', async () => {
    expect(await refusedDestination('https://8.8.8.8/hook')).toBeUndefined();
    expect(await refusedDestination('http://8.8.8.8/hook')).toBeUndefined();
    expect(await refusedDestination('https://8.8.8.8:8443/hook')).toBeUndefined();
  });

  it('refuses system ports other than 80 and 443', async () => {
    for (const port of [22, 25, 53, 110, 445, 1023]) expect(await refusedDestination(`http://8.8.8.8:${port}/hook`)).toMatch(/port/);
  });
});
