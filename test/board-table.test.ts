/**
 * `tandem status`'s table: each board's false suspicions since power-on
 * (issue 9, defect 8 asked status to report them), and a dash for a board
 * whose image predates the count.
 */
import test from 'ava';
import { statusTable } from '../host/cli/board-table.ts';
import { boardStatus } from './helpers/board-status.ts';

test("status shows each board's false suspicions, a dash where its image does not count them", (t) => {
  const [header, p1, p2, p3] = statusTable([
    boardStatus(1, 'primary', { falseSuspicions: 3 }),
    boardStatus(2, 'backup'),
    { processor: 2, error: 'timed out' },
  ]);
  const column = (line: string | undefined) => {
    const at = header?.indexOf('false suspicions') ?? -1;
    return line?.slice(at, at + 'false suspicions'.length).trim();
  };
  t.true((header?.indexOf('false suspicions') ?? -1) > 0);
  t.is(column(p1), '3');
  t.is(column(p2), '-');
  t.is(column(p3), '');
});
