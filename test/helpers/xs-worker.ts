/**
 * An xsnap worker running a probe: `source` (firmware modules, imported
 * from the repository) bundled as the image build does and run in place.
 * For tests that find XS built (findXsnap).
 */
import { build } from 'esbuild';
import { XsnapProcess } from '../../boards/xs/xsnap-process.ts';
import { REPO_ROOT } from '../../host/image/repo-root.ts';

export async function xsWorkerWith(workerPath: string, source: string): Promise<XsnapProcess> {
  const bundled = await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    logLevel: 'silent',
  });
  const worker = new XsnapProcess(workerPath, () => {});
  worker.runInPlace(bundled.outputFiles[0]?.text ?? '');
  return worker;
}
