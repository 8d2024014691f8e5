/**
 * Durability as a seed dimension in the deterministic simulator: the same
 * seeds of the wide fault model (double pulls, pulls in a switch's window),
 * with the ledger's state in memory only and with it retained on each
 * board's store. In memory mode the double failures are excused and
 * counted; retained, the stores cover them: no cold start, nothing lost.
 */
import test from 'ava';
import { explain, runLedger } from './helpers/ledger-world.ts';

const SEEDS = Array.from({ length: 24 }, (_, i) => 1 + i * 7);

test('the stores cover the double failures and switch windows that memory mode excuses', (t) => {
  let memoryLosses = 0;
  for (const seed of SEEDS) {
    const memory = runLedger({ seed, faults: true, faultModel: 'wide', trace: false });
    memoryLosses += memory.doubleFailures + memory.switchWindowLosses;
    const retained = runLedger({
      seed,
      faults: true,
      faultModel: 'wide',
      durability: 'retained',
      trace: true,
    });
    t.deepEqual(retained.violations, [], `seed=${seed}: ${explain(retained)}`);
    t.is(retained.doubleFailures + retained.switchWindowLosses, 0, `seed=${seed}`);
    t.is(retained.lost, 0, `seed=${seed}`);
  }
  t.log(
    `memory mode: ${memoryLosses} double failures and switch-window losses over ${SEEDS.length} seeds`,
  );
  t.true(memoryLosses > 0, 'the seeds include double failures (else this test proves nothing)');
});
