import { describe, expect, it } from 'vitest';
import type { Stack } from '@gw/config';
import type { TemplateOwner } from '@gw/category-cache';
import { TemplateTenancy } from './graph-tenancy.ts';

const stack = { id: 's1', wabaId: 'W1', phoneNumberId: 'P1' } as Stack;

/** An owner map in memory and a refresh that "lists" whatever Meta holds for the WABA. */
function setup(metaHolds: Record<string, TemplateOwner>, minRefreshIntervalMs = 60_000) {
  const known = new Map<string, TemplateOwner>();
  let refreshes = 0;
  const tenancy = new TemplateTenancy({
    owners: { ownerOf: (id: string) => Promise.resolve(known.get(id)) },
    refresh: async () => {
      refreshes += 1;
      await new Promise((r) => setTimeout(r, 5));
      for (const [id, owner] of Object.entries(metaHolds)) if (owner.wabaId === stack.wabaId) known.set(id, owner);
    },
    minRefreshIntervalMs,
  });
  return { tenancy, known, refreshes: () => refreshes };
}

describe('template tenancy', () => {
  it('answers a known id without calling Meta, and refuses another WABA’s', async () => {
    const { tenancy, known, refreshes } = setup({});
    known.set('T1', { wabaId: 'W1', name: 'a', language: 'en_US' });
    known.set('T2', { wabaId: 'W2', name: 'b', language: 'en_US' });
    expect(await tenancy.ownTemplate(stack, 'T1')).toEqual({ wabaId: 'W1', name: 'a', language: 'en_US' });
    expect(await tenancy.ownTemplate(stack, 'T2')).toBeUndefined();
    expect(refreshes()).toBe(0);
  });

  it('lists the WABA once for an unknown id, shared by concurrent callers, then not again within the interval', async () => {
    const { tenancy, refreshes } = setup({ T3: { wabaId: 'W1', name: 'c', language: 'pt_BR' }, T4: { wabaId: 'W2', name: 'd', language: 'en_US' } });
    const [a, b] = await Promise.all([tenancy.ownTemplate(stack, 'T3'), tenancy.ownTemplate(stack, 'T3')]);
    expect(a).toMatchObject({ name: 'c' });
    expect(b).toMatchObject({ name: 'c' });
    expect(refreshes()).toBe(1);
    expect(await tenancy.ownTemplate(stack, 'T4')).toBeUndefined();
    expect(await tenancy.ownTemplate(stack, 'nope')).toBeUndefined();
    expect(refreshes()).toBe(1);
  });

  it('refreshes again once the interval has passed', async () => {
    const { tenancy, refreshes } = setup({}, 0);
    await tenancy.ownTemplate(stack, 'x');
    await tenancy.ownTemplate(stack, 'y');
    expect(refreshes()).toBe(2);
  });
});
