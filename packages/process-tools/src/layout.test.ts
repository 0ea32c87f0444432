import { describe, expect, it } from 'vitest';
import { gatewayLayout } from './layout.ts';

describe('gatewayLayout', () => {
  it.each([
    ['nothing set: one process with both roles and one carrier lane', {}, { combined: 1, ingresses: 0, workers: 0, env: { SEND_CARRIERS: '1' } }],
    ['GATEWAY_PROCESSES=2: a lane per process', { GATEWAY_PROCESSES: '2' }, { combined: 2, ingresses: 0, workers: 0, env: { SEND_CARRIERS: '2' } }],
    ['GATEWAY_PROCESSES=0: one ingress and one worker, a job per batch', { GATEWAY_PROCESSES: '0' }, { combined: 0, ingresses: 1, workers: 1, env: {} }],
    ['WORKER_PROCESSES alone: separate processes', { WORKER_PROCESSES: '3' }, { combined: 0, ingresses: 1, workers: 3, env: {} }],
    ['INGRESS_PROCESSES alone: separate processes', { INGRESS_PROCESSES: '2' }, { combined: 0, ingresses: 2, workers: 1, env: {} }],
    [
      'both layouts mixed: the separate workers count as lanes too',
      { GATEWAY_PROCESSES: '1', WORKER_PROCESSES: '1' },
      { combined: 1, ingresses: 0, workers: 1, env: { SEND_CARRIERS: '2' } },
    ],
    ['SEND_CARRIERS set: kept as it is', { SEND_CARRIERS: '0' }, { combined: 1, ingresses: 0, workers: 0, env: {} }],
    ['empty values count as unset', { GATEWAY_PROCESSES: '', INGRESS_PROCESSES: ' ', SEND_CARRIERS: '' }, { combined: 1, ingresses: 0, workers: 0, env: { SEND_CARRIERS: '1' } }],
  ])('%s', (_name, env, expected) => {
    expect(gatewayLayout(env)).toEqual(expected);
  });
});
