import test from 'ava';
import { doFault, type FaultLab, planFault } from '../hil/fault-classes.ts';

/** A lab whose primary is P2; it records the store faults armed and refuses anything else. */
function labWithPrimary2(armed: [1 | 2, number][]): FaultLab {
  const refuse = () => {
    throw new Error('not part of a store fault');
  };
  return {
    processorIn: async (role) => (role === 'primary' ? 2 : 1),
    storeFault: async (processor, operation) => {
      armed.push([processor, operation]);
    },
    sleep: async () => {},
    power: refuse,
    boardPid: refuse,
    wiresPid: refuse,
    cable: refuse,
    restoreCable: refuse,
    signal: refuse,
  };
}

for (const [kind, victim] of [
  ['store-fault-primary', 2],
  ['store-fault-backup', 1],
] as const) {
  test(`${kind} arms the store of the board in that role, and excuses its partner's takeover`, async (t) => {
    let draws = 0;
    const planned = planFault(kind, () => [0.5, 0.9, 0.1, 0.7, 0.3][draws++ % 5] ?? 0);
    if (planned.kind !== kind) return t.fail(planned.kind);
    t.true(planned.operation >= 1 && planned.operation <= 4, `operation ${planned.operation}`);
    const armed: [1 | 2, number][] = [];
    const done = await doFault(planned, labWithPrimary2(armed), 1000);
    t.deepEqual(armed, [[victim, planned.operation]]);
    t.is(done.processor, victim);
    t.deepEqual(
      done.excuses.map((e) => e.absent),
      [victim],
    );
  });
}
