/**
 * One mutant's run of the corpus seeds, in a worker thread of its own
 * (started by corpus-runner.ts), so that every mutant meets freshly loaded
 * modules: a mutant that leaves a module's state broken (the CBOR
 * encoder's, say) cannot fail the mutants after it. The mutant is switched
 * on before the corpus loads, so that a mutant of a module's top level acts
 * too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SeedRunAnswer, SeedRunRequest } from './corpus-runner.ts';
import type { SeedCounts } from './corpus-tests.ts';
import { strykerNamespace } from './stryker-namespace.ts';

const request = workerData as SeedRunRequest;
const ns = strykerNamespace();
ns.activeMutant = request.activeMutant;
if (request.hitLimit !== undefined) {
  ns.hitCount = 0;
  ns.hitLimit = request.hitLimit;
}

type Corpus = typeof import('./corpus-tests.ts');

function hitLimitReached(): boolean {
  return (
    typeof ns.hitCount === 'number' && typeof ns.hitLimit === 'number' && ns.hitCount > ns.hitLimit
  );
}

async function run(): Promise<SeedRunAnswer> {
  let corpus: Corpus;
  try {
    corpus = await import('./corpus-tests.ts');
  } catch (error) {
    // A mutant of a module's top level that throws, or loops, as the module loads.
    if (hitLimitReached()) return { kind: 'hit-limit', ran: 0, hitCount: ns.hitCount ?? 0 };
    const first = request.testIds?.[0] ?? Object.keys(request.unmutatedCounts)[0] ?? 'corpus';
    return {
      kind: 'failed',
      ran: 0,
      testIds: [first],
      failure: `the corpus did not load: ${String(error)}`,
    };
  }
  const filter = request.testIds === null ? null : new Set(request.testIds);
  const chosen = corpus.seedTests().filter((test) => filter === null || filter.has(test.id));
  const counts: SeedCounts[] = [];
  const unmutated: SeedCounts[] = [];
  let ran = 0;
  for (const test of chosen) {
    const outcome = corpus.runSeedTest(test);
    ran++;
    if (hitLimitReached()) return { kind: 'hit-limit', ran, hitCount: ns.hitCount ?? 0 };
    if (!outcome.passed)
      return { kind: 'failed', ran, testIds: [test.id], failure: outcome.failure };
    counts.push(outcome.counts);
    const expected = request.unmutatedCounts[test.id];
    if (expected !== undefined) unmutated.push(expected);
  }
  // What the unmutated code did in these seeds and the mutant never did: the checks passed vacuously.
  const vanished = corpus
    .missingEvents(counts)
    .filter((kind) => !corpus.missingEvents(unmutated).includes(kind));
  if (counts.length > 0 && vanished.length > 0) {
    return {
      kind: 'failed',
      ran,
      testIds: chosen.map((test) => test.id),
      failure: `the seeds saw no ${vanished.join(', ')}, which they see unmutated`,
    };
  }
  return { kind: 'passed', ran };
}

parentPort?.postMessage(await run());
