/**
 * The rule that tells a violation one fault caused from one that needed
 * several overlapping faults (fault-windows.ts), on made-up windows: a
 * fault's window lasts until the pair is whole after it, only an overlap of
 * two counting faults sets a finding apart, and when in doubt it stays a
 * violation.
 */
import test from 'ava';
import { FaultWindows } from '../host/simulator/fault-windows.ts';

test('a violation in the window of one fault alone stays a violation, even long after the fault ended while the pair is not whole', (t) => {
  const w = new FaultWindows();
  const cut = w.open('cut-two-way', 1000, 'cut path 0 both ways');
  w.end(cut, 1500);
  // Not whole yet at 4000 (say the backup still rejoins): the window is open, but alone.
  const judged = w.classify('split-brain', 4000);
  t.false(judged.multiFault);
  t.deepEqual(
    judged.faults.map((f) => f.what),
    ['cut path 0 both ways'],
  );
  w.pairWhole(5000);
  t.false(w.classify('acknowledged-lost', 6000).multiFault);
  t.deepEqual(w.openAt(6000), []);
});

test('two faults whose windows overlap at the finding set it apart as multiFault, naming both', (t) => {
  const w = new FaultWindows();
  const first = w.open('cut-with-noise', 34_000, 'cut path 0 with noise on the other');
  const second = w.open('cut-two-way', 35_800, 'cut path 1 both ways');
  const judged = w.classify('split-brain', 36_100);
  t.true(judged.multiFault);
  t.deepEqual(
    judged.faults.map((f) => f.what),
    ['cut path 0 with noise on the other', 'cut path 1 both ways'],
  );
  // Before the second fault struck, the first was alone: a violation.
  t.false(w.classify('split-brain', 35_000).multiFault);
  w.end(first, 36_361);
  w.end(second, 36_395);
  w.pairWhole(38_996);
  // Once the pair is whole again, both windows are closed.
  t.true(w.classify('split-brain', 38_000).multiFault);
  t.false(w.classify('split-brain', 39_000).multiFault);
});

test('a window stays open until the pair is whole after its fault ended, not merely whole while it lasts', (t) => {
  const w = new FaultWindows();
  const cut = w.open('cut-one-way-long', 13_000, 'cut path 0 from P2');
  const pull = w.open('pull', 18_000, 'pull P2');
  w.end(pull, 19_000);
  t.true(w.awaitingWhole);
  t.true(w.classify('acknowledged-lost', 18_500).multiFault);
  // The pair is whole again while the cut still lasts: the pull's window closes, the cut's does not.
  w.pairWhole(19_500);
  t.false(w.awaitingWhole);
  t.deepEqual(
    w.openAt(20_000).map((f) => f.what),
    ['cut path 0 from P2'],
  );
  t.false(w.classify('acknowledged-lost', 20_000).multiFault);
  const stall = w.open('stall-board', 20_500, 'P1 stalls');
  w.end(stall, 21_000);
  w.end(cut, 21_000);
  t.true(w.classify('split-brain', 24_000).multiFault);
  w.pairWhole(28_500);
  t.true(w.classify('acknowledged-lost', 28_000).multiFault);
  t.false(w.classify('acknowledged-lost', 28_500).multiFault);
});

test('a loss found later is judged at the acknowledgement it is about', (t) => {
  const w = new FaultWindows();
  const a = w.open('stall-board', 15_000, 'P1 stalls');
  const b = w.open('cut-one-way-long', 14_000, 'cut path 0 from P2');
  w.end(a, 16_000);
  w.end(b, 21_000);
  w.pairWhole(22_000);
  // Acknowledged while both windows were open, found missing after the pair re-formed.
  t.true(w.classify('acknowledged-lost', 30_000, 15_500).multiFault);
  // Acknowledged while only the cut's window was open: one fault lost it.
  t.false(w.classify('acknowledged-lost', 30_000, 14_500).multiFault);
  // Acknowledged before any fault: a violation.
  t.false(w.classify('acknowledged-lost', 30_000, 1000).multiFault);
});

test('a stall shorter than the suspicion time never counts as a second fault', (t) => {
  const w = new FaultWindows();
  w.open('cut-two-way', 1000, 'cut path 0 both ways');
  w.open('stall-board', 1100, 'P2 stalls', true);
  w.open('stall-hub', 1150, 'the wires stall', true);
  t.false(w.classify('split-brain', 1200).multiFault);
  t.false(w.overlapAt(1200));
  w.open('stall-board', 1210, 'P1 stalls');
  t.true(w.classify('split-brain', 1300).multiFault);
});

test('checks that hold under any number of faults are violations whatever overlaps', (t) => {
  const w = new FaultWindows();
  w.open('pull', 1000, 'pull P1');
  w.open('pull', 1100, 'pull P2');
  for (const kind of [
    'not-reformed',
    'seed-threw',
    'unpushed-image',
    'converter-loses-data',
    'backup-state-differs',
    'false-takeover-one-path',
    'too-old',
    'store-outgrown',
  ]) {
    t.false(w.classify(kind, 1200).multiFault, kind);
  }
  t.true(w.classify('state-lost', 1200).multiFault);
});

test('endAll stops every fault still on; the pair whole then closes their windows', (t) => {
  const w = new FaultWindows();
  w.open('pull', 1000, 'pull P1');
  w.open('stall-hub', 1100, 'the wires stall');
  t.false(w.awaitingWhole);
  w.endAll(60_000);
  t.true(w.awaitingWhole);
  w.pairWhole(60_100);
  t.deepEqual(w.openAt(60_100), []);
  t.is(w.openAt(60_000).length, 2);
});

test('a loss of what a lone board acknowledged during one fault is set apart when that board lost power before the fault healed', (t) => {
  // One path, DSR, no fence: a cut has the backup take over alone (1000),
  // it acknowledges (1200), and a pull takes it while the cut lasts (1500).
  const w = new FaultWindows();
  const cut = w.open('cut-two-way', 1000, 'cut path 0 both ways');
  const pull = w.openPowerLoss('pull', 1500, 'pull P2', true);
  w.end(cut, 1700);
  w.end(pull, 2000);
  w.pairWhole(2500);
  const judged = w.classify('acknowledged-lost', 3000, 1200);
  t.true(judged.multiFault);
  t.deepEqual(
    judged.faults.map((f) => f.what),
    ['cut path 0 both ways', 'pull P2'],
  );
  // Acknowledged before the cut, when a backup held it too: a violation.
  t.false(w.classify('acknowledged-lost', 3000, 900).multiFault);
  // Acknowledged once the pair was whole again: neither fault took it.
  t.false(w.classify('acknowledged-lost', 3000, 2600).multiFault);
});

test('a power loss takes no lone copy when its board had a backup, when the other fault had healed, or when stores keep the state', (t) => {
  /** A cut from 1000 to 1700 and a pull from 1500 to 2000, whole at 2500; the pull's board served alone or not. */
  const cutThenPull = (windows: FaultWindows, servedAlone: boolean) => {
    const cut = windows.open('cut-two-way', 1000, 'cut path 0 both ways');
    const pull = windows.openPowerLoss('pull', 1500, 'pull P2', servedAlone);
    windows.end(cut, 1700);
    windows.end(pull, 2000);
    windows.pairWhole(2500);
  };
  const withBackup = new FaultWindows();
  cutThenPull(withBackup, false);
  t.false(withBackup.classify('acknowledged-lost', 3000, 1200).multiFault);

  const retained = new FaultWindows(['pull', 'pull-handover', 'store-cut']);
  cutThenPull(retained, true);
  t.false(retained.classify('acknowledged-lost', 3000, 1200).multiFault);

  const healed = new FaultWindows();
  const cut = healed.open('cut-two-way', 1000, 'cut path 0 both ways');
  healed.end(cut, 1300);
  healed.pairWhole(1400);
  const pull = healed.openPowerLoss('pull', 1500, 'pull P2', true);
  healed.end(pull, 2000);
  healed.pairWhole(2500);
  t.false(healed.classify('acknowledged-lost', 3000, 1200).multiFault);
});
