/**
 * The interconnect's paths as the core judges them: a path is up while the
 * partner was heard on it within the suspicion time and its DSR is high;
 * a judgement reports what changed, and the core wakes when the first path
 * that is up would fall silent.
 */
import test from 'ava';
import { pairConfig, suspectAfterMs } from '../firmware/runtime/config.ts';
import { Links } from '../firmware/runtime/links.ts';

const config = pairConfig(1);
const SILENT_AFTER = suspectAfterMs(config);

function twoPathsHeard(): Links {
  const links = new Links(config, 0);
  for (const path of [0, 1]) {
    links.setDsr(path, true);
    links.heard(path, 10);
  }
  return links;
}

test('a judgement reports the paths that went up or down, and nothing when none changed', (t) => {
  const links = twoPathsHeard();
  t.deepEqual(links.judge(10), {
    changes: [
      { path: 0, up: true },
      { path: 1, up: true },
    ],
    anyUp: true,
  });
  t.deepEqual(links.judge(11), { changes: [], anyUp: true });
  links.setDsr(1, false);
  t.deepEqual(links.judge(12), { changes: [{ path: 1, up: false }], anyUp: true });
  t.deepEqual(links.judge(13), { changes: [], anyUp: true });
  t.deepEqual(links.up, [true, false]);
});

test('the next silence is due just past the suspicion time since the last frame on a path that is up', (t) => {
  const links = twoPathsHeard();
  t.is(links.nextSilenceMs(), Number.POSITIVE_INFINITY, 'no path is up before a judgement');
  links.judge(10);
  links.heard(1, 40);
  t.is(links.nextSilenceMs(), 10 + SILENT_AFTER + 1);
  t.deepEqual(links.judge(10 + SILENT_AFTER + 1), {
    changes: [{ path: 0, up: false }],
    anyUp: true,
  });
  t.is(links.nextSilenceMs(), 40 + SILENT_AFTER + 1);
});
