/** The longest gap in service around a fault, from the times of the acknowledgements. */
import test from 'ava';
import { longestServiceGapMs } from '../hil/service-gap.ts';

test('the gap open when the fault began counts from the last acknowledgement before it', (t) => {
  t.is(longestServiceGapMs([0, 10, 20, 400, 410], 30, 300), 380);
});

test('a gap still open at the end of the span lasts to the first acknowledgement after it', (t) => {
  t.is(longestServiceGapMs([0, 100, 900, 910], 50, 200), 800);
});

test('with no acknowledgement after the fault, the gap lasts to the end of the span', (t) => {
  t.is(longestServiceGapMs([0, 5], 10, 500), 495);
});

test('gaps wholly before or after the span do not count', (t) => {
  t.is(longestServiceGapMs([0, 90, 100, 110, 120, 130, 5000], 100, 125), 10);
});
