import { type AnyApp, defineApp } from '../../firmware/app.ts';

/** A counter whose state carries `stateBytes` of ballast: a big checkpoint on demand. */
export function bulkApp(stateBytes: number): AnyApp {
  return defineApp<{ n: number; ballast: string }, null, number, number>({
    name: 'bulk',
    version: '1.0.0',
    stateVersion: 1,
    checkpoint: 'state',
    init: () => ({ n: 0, ballast: 'b'.repeat(stateBytes) }),
    parseRequest: () => null,
    handle: (state) => ({ update: state.n + 1, reply: state.n + 1 }),
    apply: (state, n) => {
      state.n = n;
      return state;
    },
  });
}
