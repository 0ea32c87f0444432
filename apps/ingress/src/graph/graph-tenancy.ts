import type { Stack } from '@gw/config';
import type { TemplateOwner, TemplateOwners } from '@gw/category-cache';

/** The stack's own Graph nodes; anything else is a template id or not the stack's. */
export function ownNode(stack: Pick<Stack, 'phoneNumberId' | 'wabaId'>, id: string): 'phone_number' | 'waba' | undefined {
  if (id === stack.phoneNumberId) return 'phone_number';
  if (id === stack.wabaId) return 'waba';
  return undefined;
}

export interface TemplateTenancyOptions {
  owners: Pick<TemplateOwners, 'ownerOf'>;
  /** Lists the stack's WABA templates once (which fills the owner map). */
  refresh: (stack: Stack) => Promise<void>;
  /** Least time between two refreshes of one WABA: unknown ids must not spend Meta's template rate limit (200 calls/h). */
  minRefreshIntervalMs?: number;
}

/**
 * Whose template an id is. Many stacks may share one Meta token, so Meta would
 * let a stack edit another stack's template: the gateway answers from its own
 * map, and on an unknown id lists the stack's own WABA once before refusing.
 */
export class TemplateTenancy {
  private readonly lastRefresh = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly options: TemplateTenancyOptions) {}

  /** The template when it belongs to the stack's WABA; undefined otherwise. */
  async ownTemplate(stack: Stack, templateId: string): Promise<TemplateOwner | undefined> {
    const known = await this.options.owners.ownerOf(templateId);
    if (known) return known.wabaId === stack.wabaId ? known : undefined;
    await this.refresh(stack);
    const fresh = await this.options.owners.ownerOf(templateId);
    return fresh?.wabaId === stack.wabaId ? fresh : undefined;
  }

  private refresh(stack: Stack): Promise<void> {
    const running = this.inFlight.get(stack.wabaId);
    if (running) return running;
    const last = this.lastRefresh.get(stack.wabaId) ?? 0;
    if (Date.now() - last < (this.options.minRefreshIntervalMs ?? 5_000)) return Promise.resolve();
    this.lastRefresh.set(stack.wabaId, Date.now());
    const run = this.options
      .refresh(stack)
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(stack.wabaId));
    this.inFlight.set(stack.wabaId, run);
    return run;
  }
}
