/** An envelope from processor 2 carrying one body, as the tests of messages build it. */
import type { Envelope, Hello, PeerBody } from '../../firmware/runtime/messages.ts';

export function peerEnvelope(body: PeerBody, hello?: Hello): Envelope {
  return {
    from: { p: 2, inc: 3 },
    toInc: 1,
    ack: 0,
    st: { role: 'joining', term: 1, backupInc: 0 },
    hears: 1,
    ...(hello === undefined ? {} : { hello }),
    seg: { seq: 1, body },
  };
}
