/**
 * Commands find the project's .tandem/ from any subfolder, the way git finds
 * .git: the key, the images and the default lab are the project's, not a new
 * .tandem/ in whatever folder the user stands in.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runCli } from './fixtures/run-cli.ts';

const LAB_NOT_RUNNING = 4;
const project = realpathSync(mkdtempSync(join(tmpdir(), 'tandem-project-')));
const deep = join(project, 'src', 'deep');
mkdirSync(deep, { recursive: true });
test.after.always(() => rmSync(project, { recursive: true, force: true }));

test.serial(
  'from a subfolder, build signs with the project key and writes into its .tandem/',
  async (t) => {
    const keys = await runCli(['keys', 'generate', '--json'], 120_000, project);
    t.is(keys.code, 0, keys.stderr);
    const { keyId } = JSON.parse(keys.stdout) as { keyId: string };

    const again = await runCli(['keys', 'generate', '--json'], 120_000, deep);
    t.is(again.code, 0, again.stderr);
    t.like(JSON.parse(again.stdout), { keyId, created: false });

    const build = await runCli(
      ['build', 'ledger@1.0.0', '--board', 'sim', '--json'],
      120_000,
      deep,
    );
    t.is(build.code, 0, build.stderr);
    const written = JSON.parse(build.stdout) as { path: string; manifest: { keyId: string } };
    t.is(written.manifest.keyId, keyId);
    t.is(written.path, join('..', '..', '.tandem', 'images', 'ledger-1.0.0.img'));
    t.true(existsSync(join(project, '.tandem', 'images', 'ledger-1.0.0.img')));
    t.false(existsSync(join(deep, '.tandem')), 'no second .tandem/ in the subfolder');
  },
);

test.serial('from a subfolder, a board command looks for the project lab', async (t) => {
  const run = await runCli(['status'], 120_000, deep);
  t.is(run.code, LAB_NOT_RUNNING, run.stderr);
  t.true(
    run.stderr.includes(`no lab is running in ${join(project, '.tandem', 'lab')}`),
    run.stderr,
  );
});

test.serial(
  'from a project outside the repository, lab up starts its processes and lab down stops them',
  async (t) => {
    // The lab's daemon and boards are new node processes: they must find tandem's own
    // code and packages (tsx among them), never look for them in the user's project.
    const up = await runCli(['lab', 'up'], 120_000, deep);
    t.teardown(() => runCli(['lab', 'down'], 120_000, deep).then(() => undefined));
    t.is(up.code, 0, up.stderr);
    const status = await runCli(['status', '--json'], 120_000, deep);
    t.is(status.code, 0, status.stderr);
    t.deepEqual(
      (JSON.parse(status.stdout) as { processor: number }[]).map((s) => s.processor),
      [1, 2],
    );
    const down = await runCli(['lab', 'down'], 120_000, deep);
    t.is(down.code, 0, down.stderr);
    t.false(existsSync(join(project, '.tandem', 'lab', 'daemon.pid')));
  },
);
