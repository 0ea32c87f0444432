import { describe, expect, it } from 'vitest';
import { matchSendRoute } from './send-routes.ts';

describe('matchSendRoute', () => {
  it('matches the short forms and the Graph forms of every send endpoint, as the router does', () => {
    expect(matchSendRoute('POST', '/messages')).toEqual({ endpoint: 'messages', params: {}, pattern: '/messages' });
    expect(matchSendRoute('POST', '/Marketing_Messages/?x=1')).toEqual({ endpoint: 'marketing_messages', params: {}, pattern: '/marketing_messages' });
    expect(matchSendRoute('POST', '/v24.0/1234%35/messages_encrypted?access_token=x')).toEqual({
      endpoint: 'messages_encrypted',
      params: { version: 'v24.0', phoneNumberId: '12345' },
      pattern: '/:version/:phoneNumberId/messages_encrypted',
    });
  });

  it('leaves everything else to the app: other methods and paths, versions that are not Graph versions, parameters that do not decode', () => {
    expect(matchSendRoute('GET', '/messages')).toBeUndefined();
    expect(matchSendRoute('POST', '/messages/x')).toBeUndefined();
    expect(matchSendRoute('POST', '/messagesx')).toBeUndefined();
    expect(matchSendRoute('POST', '/x/messages')).toBeUndefined();
    expect(matchSendRoute('POST', '/media/1/messages')).toBeUndefined();
    expect(matchSendRoute('POST', '/V24.0/1/messages')).toBeUndefined();
    expect(matchSendRoute('POST', '/v24.0/%E0%A4%A/messages')).toBeUndefined();
    expect(matchSendRoute('POST', '/a/v24.0/1/messages')).toBeUndefined();
    expect(matchSendRoute('POST', undefined)).toBeUndefined();
  });
});
