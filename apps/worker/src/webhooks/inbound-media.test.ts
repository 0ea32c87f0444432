import { describe, expect, it } from 'vitest';
import { inboundMediaIds } from './inbound-media.ts';

const webhook = (messages: unknown[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '200', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '100' }, messages } }] }],
});

describe('inboundMediaIds', () => {
  it('finds <type>.id of image, video, audio, document and sticker messages, once each', () => {
    const ids = inboundMediaIds(
      webhook([
        { type: 'image', image: { id: '11', mime_type: 'image/jpeg' } },
        { type: 'video', video: { id: '12' } },
        { type: 'audio', audio: { id: '13' } },
        { type: 'document', document: { id: '14' } },
        { type: 'sticker', sticker: { id: '15' } },
        { type: 'image', image: { id: '11' } },
      ]),
    );
    expect(ids).toEqual(['11', '12', '13', '14', '15']);
  });

  it('ignores text, statuses, a media object of another type and ids that could not be a media id', () => {
    expect(
      inboundMediaIds(
        webhook([
          { type: 'text', text: { body: 'hi' } },
          { type: 'image', video: { id: '21' } },
          { type: 'image', image: { id: 'x:y*' } },
          { type: 'image', image: { id: 42 } },
          { type: 'location', location: { id: '22' } },
        ]),
      ),
    ).toEqual([]);
    expect(inboundMediaIds({ entry: [{ changes: [{ field: 'messages', value: { statuses: [{ id: 'wamid.1' }] } }] }] })).toEqual([]);
  });
});
