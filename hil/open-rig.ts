/**
 * The two ways to open a rig. Both run `openRig` (johnny-five over Firmata);
 * only the serial binding, the port and the default profile differ.
 */
import { resolve } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { loadRigProfile, type RigProfile } from '../boards/rig-profile.ts';
import { LabClient } from '../host/lab/lab-client.ts';
import { endpoint, portPath, readLabConfig } from '../host/lab/lab-config.ts';
import { LAB_RIG_PROFILE_FILE } from '../host/lab/relay-controller.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';
import { openRig, type Rig } from './rig.ts';

/**
 * The rig of a running lab: its relay controller on the `relay-host` end of
 * the lab's relay cable. Without `profile`, the lab's own wiring
 * (`LAB_RIG_PROFILE_FILE`). Throws LabNotRunningError when no lab runs in `dir`.
 */
export async function openSimRig(dir: string, profile?: RigProfile): Promise<Rig> {
  const labDir = resolve(dir);
  await new LabClient(labDir).boards();
  const config = readLabConfig(labDir);
  return openRig({
    profile: profile ?? (await loadRigProfile(LAB_RIG_PROFILE_FILE)),
    port: portPath(config, endpoint.relayHost),
    binding: SimBinding,
  });
}

/** A real rig: an Arduino running StandardFirmata on `port` (e.g. /dev/ttyACM0). */
export function openFirmataRig(port: string, profile: RigProfile): Promise<Rig> {
  return openRig({ profile, port, binding: autoDetect() });
}
