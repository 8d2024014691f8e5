import test from 'ava';
import { isLedgerVersion, LEDGER_VERSIONS } from '../firmware/apps/ledger/index.ts';

test('each listed version builds the app of that version, for both checkpoint models', (t) => {
  for (const [version, factory] of Object.entries(LEDGER_VERSIONS)) {
    t.is(factory().version, version);
    t.is(factory().name, 'ledger');
    t.is(factory().checkpoint, 'state');
    t.is(factory('replay').checkpoint, 'replay');
  }
});

test('versions are listed oldest first, each newer one able to convert from the one before', (t) => {
  const apps = Object.values(LEDGER_VERSIONS).map((factory) => factory());
  t.deepEqual(Object.keys(LEDGER_VERSIONS), ['1.0.0', '2.0.0']);
  apps.forEach((app, i) => {
    const previous = apps[i - 1];
    if (previous === undefined) return;
    t.true(app.stateVersion > previous.stateVersion);
    t.is(app.converters?.priorStateVersion, previous.stateVersion);
  });
});

test('isLedgerVersion knows the listed versions and nothing else', (t) => {
  t.true(isLedgerVersion('1.0.0'));
  t.true(isLedgerVersion('2.0.0'));
  t.false(isLedgerVersion('3.0.0'));
  t.false(isLedgerVersion('toString'));
});
