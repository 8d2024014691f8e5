/**
 * The two ways to open a rig. Both run `openRig` (johnny-five over Firmata);
 * only the serial binding, the port and the default profile differ.
 */
import { resolve } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { SimBinding } from '../boards/sim/serial/sim-binding.ts';
import { LabClient } from '../host/lab/lab-client.ts';
import { endpoint, portPath, readLabConfig } from '../host/lab/lab-config.ts';
import { openRig, type Rig } from './rig.ts';
import { loadRigProfile, type RigProfile, SIM_RIG_PROFILE_FILE } from './rig-profile.ts';

/**
 * The rig of a running lab: its relay controller on the `relay-host` end of
 * the lab's relay cable. Without `profile`, the lab's own wiring
 * (hil/profiles/sim.rig.json). Throws LabNotRunningError when no lab runs in `dir`.
 */
export async function openSimRig(dir: string, profile?: RigProfile): Promise<Rig> {
  const labDir = resolve(dir);
  await new LabClient(labDir).boards();
  const config = readLabConfig(labDir);
  return openRig({
    profile: profile ?? (await loadRigProfile(SIM_RIG_PROFILE_FILE)),
    port: portPath(config, endpoint.relayHost),
    binding: SimBinding,
  });
}

/** A real rig: an Arduino running StandardFirmata on `port` (e.g. /dev/ttyACM0). */
export function openFirmataRig(port: string, profile: RigProfile): Promise<Rig> {
  return openRig({ profile, port, binding: autoDetect() });
}
