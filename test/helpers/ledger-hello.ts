/** The hello of a board running ledger 1.0.0 in the state model, with `changes` applied. */
import type { Hello } from '../../firmware/runtime/messages.ts';

export function ledgerHello(changes: Partial<Hello> = {}): Hello {
  return {
    app: 'ledger',
    version: '1.0.0',
    stateVersion: 1,
    model: 'state',
    priorStateVersion: -1,
    testMode: false,
    otherVersion: '',
    ...changes,
  };
}
