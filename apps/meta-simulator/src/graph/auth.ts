import type { Request } from 'express';
import { invalidToken, unknownObject } from '../meta-errors.ts';
import type { Account, SimulatorState } from '../state/state.ts';

/** Graph accepts the token as a Bearer header or as ?access_token=. */
function tokenOf(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match?.[1]) return match[1];
  const query = req.query['access_token'];
  return typeof query === 'string' && query ? query : undefined;
}

/** A token nobody owns fails as 190 before Graph even looks at the object id. */
function knownToken(state: SimulatorState, req: Request): string {
  const token = tokenOf(req);
  if (!token) throw invalidToken();
  for (const account of state.accounts.values()) if (account.accessToken === token) return token;
  throw invalidToken();
}

export function authorisePhone(state: SimulatorState, req: Request, phoneNumberId: string): Account {
  const token = knownToken(state, req);
  const account = state.accounts.get(phoneNumberId);
  if (!account) throw unknownObject(phoneNumberId, 'post');
  if (account.accessToken !== token) throw invalidToken();
  return account;
}

/** Any token of an account in that WABA may read its templates. */
export function authoriseWaba(state: SimulatorState, req: Request, wabaId: string): void {
  const token = knownToken(state, req);
  const accounts = state.accountsOfWaba(wabaId);
  if (accounts.length === 0) throw unknownObject(wabaId, 'get');
  if (!accounts.some((a) => a.accessToken === token)) throw invalidToken();
}
