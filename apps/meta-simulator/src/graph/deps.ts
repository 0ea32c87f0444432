import type { SimulatorState } from '../state/state.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import type { MediaStore } from './media-store.ts';
import type { ParkedResponses } from './parked.ts';

export interface GraphDeps {
  state: SimulatorState;
  webhooks: Webhooks;
  parked: ParkedResponses;
  /** Uploaded and inbound media (bytes on disk). */
  media: MediaStore;
  /** How long a created or edited template stays PENDING before it is approved. */
  templateReviewMs: number;
}
