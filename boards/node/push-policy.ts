/**
 * What a board accepts into its inactive slot, judged against the image it
 * runs. The board holds this policy itself, so a push that skips the host's
 * checks (another tool, a script on the management port) meets it too.
 *
 * - Another app: always refused, with no flag to allow it. The other slot is
 *   only ever started by a switch, and a switch between two apps has no
 *   state converters to cross: the new image would start without the pair's
 *   state, or the partner would refuse it at join. A board that is to run a
 *   different app starts from erased flash (a fresh lab, a new flash file on
 *   a Linux-class board), where an empty board takes any app as its first.
 * - An older version: refused unless the push allows a downgrade
 *   (`tandem push --allow-downgrade`, carried in push-begin).
 * A board that runs nothing (empty, or no valid image) takes any image.
 */
import type { ImageManifest } from '../image/verify.ts';
import { compareVersions } from '../image/version-order.ts';
import type { UploadRefusalCode } from '../management.ts';

export interface PushFlags {
  /** Take an image older than the one running. */
  readonly allowDowngrade: boolean;
}

export interface PolicyRefusal {
  readonly code: Extract<UploadRefusalCode, 'downgrade' | 'other-app'>;
  readonly message: string;
}

/** Why `image` may not go into the inactive slot beside `running`, or null when it may. */
export function pushPolicyRefusal(
  image: ImageManifest,
  running: ImageManifest | null,
  flags: PushFlags,
): PolicyRefusal | null {
  if (running === null) return null;
  if (image.app !== running.app) {
    return {
      code: 'other-app',
      message: `the image is of app '${image.app}', but this board runs '${running.app}': a switch cannot carry state between two apps; to give the board another app, erase its flash and flash that app onto the empty board`,
    };
  }
  if (!flags.allowDowngrade && compareVersions(image.version, running.version) < 0) {
    return {
      code: 'downgrade',
      message: `the image is ${image.app} ${image.version}, older than the ${running.version} this board runs; push it with --allow-downgrade to take it anyway`,
    };
  }
  return null;
}
