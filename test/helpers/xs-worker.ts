/**
 * An xsnap worker running a probe: `source` (firmware modules, imported
 * from the repository) bundled as the image build does and run in place.
 * For tests that find XS built (findXsnap).
 */
import { build } from 'esbuild';
import { XsnapProcess } from '../../boards/xs/xsnap-process.ts';
import { REPO_ROOT } from '../../host/image/repo-root.ts';

/** `source` bundled as the image build does: one script for an XS worker. */
export async function bundledProbe(source: string): Promise<string> {
  const bundled = await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    logLevel: 'silent',
  });
  return bundled.outputFiles[0]?.text ?? '';
}

export async function xsWorkerWith(workerPath: string, source: string): Promise<XsnapProcess> {
  const worker = new XsnapProcess(workerPath, () => {});
  worker.runInPlace(await bundledProbe(source));
  return worker;
}
