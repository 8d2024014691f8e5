import test from 'ava';
import { storeFailureBackoffMs } from '../boards/node/board.ts';

test('a board retries a failed store at once, then holds its boots 1 s, doubling up to 32 s', (t) => {
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map(storeFailureBackoffMs),
    [0, 0, 1000, 2000, 4000, 8000, 16_000, 32_000, 32_000, 32_000],
  );
});
