/**
 * The lab daemon: owns the wires (the hub) and the power rails (one board
 * process each). A power pull drops the board's lines at once, as a power
 * cut does, and SIGKILLs its process: nothing reaches the partner but
 * silence and a falling DSR. A fence pulses the target's reset: the process
 * is killed and started again after the boot time, as a reset line would.
 *   node --import tsx host/lab/daemon.ts --lab DIR
 * (or its build, dist/lab-daemon.mjs; see host/code-location.ts)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRigProfile } from '../../boards/rig-profile.ts';
import { nodeArgsFor } from '../code-location.ts';
import { startHub } from './hub/hub.ts';
import type { LabBoardState, LabRequest } from './lab-client.ts';
import { cable, endpoint, type LabConfig, portPath, readLabConfig } from './lab-config.ts';
import { LAB_RIG_PROFILE_FILE, RELAY_BAUD, RelayController } from './relay-controller.ts';
import { SimBinding } from './serial/sim-binding.ts';

class PowerRail {
  #child: ChildProcess | null = null;
  /** The next power-on's store fails its first read (a store-fault-at of operation 0). */
  #failFirstRead = false;
  /** From the next power-on, every read of the store fails (store-reads-fail). */
  #readsFail = false;

  constructor(
    readonly config: LabConfig,
    readonly processor: 1 | 2,
    /** Called when the board reports a watched switch step. */
    readonly onSwitchStep: (step: string) => void,
    /** The board's lines fall with its power, before its process is gone. */
    readonly linesDown: (pid: number) => void,
  ) {}

  get state(): LabBoardState {
    return {
      processor: this.processor,
      powered: this.#child !== null,
      pid: this.#child?.pid ?? null,
    };
  }

  on(): void {
    if (this.#child !== null) return;
    const child = spawn(
      process.execPath,
      [
        ...nodeArgsFor('board-process'),
        '--lab',
        this.config.dir,
        '--processor',
        String(this.processor),
        ...(this.#failFirstRead ? ['--fail-first-store-read'] : []),
        ...(this.#readsFail ? ['--store-reads-fail'] : []),
      ],
      {
        // The IPC channel carries armed power cuts (see LabRequest 'power-cut-at').
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      },
    );
    child.on('message', (message: { switchStep?: unknown }) => {
      if (typeof message?.switchStep === 'string') this.onSwitchStep(message.switchStep);
    });
    child.on('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    this.#child = child;
    this.#failFirstRead = false;
  }

  /** The board reports the moment its pair records switch step `step` (null disarms). */
  watchSwitchStep(step: string | null): void {
    this.#child?.send({ reportSwitchStep: step });
  }

  /** The board loses power inside its `operation`-th store operation from now. */
  cutInStoreOperation(operation: number): void {
    this.#child?.send({ cutInStoreOperation: operation });
  }

  /**
   * The board's store fails its `operation`-th write or erase from now, the
   * power on; operation 0: its first read after the board's next power-on.
   */
  failInStoreOperation(operation: number): void {
    if (operation === 0) this.#failFirstRead = true;
    else this.#child?.send({ failInStoreOperation: operation });
  }

  /** From the next power-on on, every read of the board's store fails. */
  failStoreReads(): void {
    this.#readsFail = true;
  }

  off(): void {
    const pid = this.#child?.pid;
    if (pid !== undefined) this.linesDown(pid);
    this.#child?.kill('SIGKILL');
    this.#child = null;
  }
}

export async function runDaemon(dir: string): Promise<void> {
  const config = readLabConfig(dir);
  const cables = [];
  for (let path = 0; path < config.paths; path++) {
    cables.push({
      name: cable.path(path),
      a: endpoint.path(1, path),
      b: endpoint.path(2, path),
      baud: config.baud,
    });
  }
  for (const p of [1, 2] as const) {
    cables.push({
      name: cable.bus(p),
      a: endpoint.bus(p),
      b: endpoint.client(p),
      baud: config.busBaud,
    });
    cables.push({
      name: cable.host(p),
      a: endpoint.boardHost(p),
      b: endpoint.host(p),
      baud: config.baud,
    });
  }
  // The relay controller's serial line (a HIL rig drives the power rails through it).
  cables.push({ name: 'relay', a: endpoint.relayBoard, b: endpoint.relayHost, baud: RELAY_BAUD });
  const hub = await startHub({ cables }, dir);
  // An armed power cut: the victim loses power when either board records the step.
  let armedCut: { board: 1 | 2; step: string } | null = null;
  const onSwitchStep = (step: string) => {
    if (armedCut?.step !== step) return;
    process.stdout.write(
      `${new Date().toISOString()} power cut P${armedCut.board} at switch step ${step}\n`,
    );
    rails[armedCut.board].off();
    armedCut = null;
    for (const rail of [rails[1], rails[2]]) rail.watchSwitchStep(null);
  };
  const linesDown = (pid: number) => hub.powerLost(pid);
  const rails = {
    1: new PowerRail(config, 1, onSwitchStep, linesDown),
    2: new PowerRail(config, 2, onSwitchStep, linesDown),
  } as const;
  const socketPath = join(dir, 'lab.sock');
  rmSync(socketPath, { force: true });

  let relays: RelayController | null = null;
  const shutdown = async () => {
    await relays?.close();
    rails[1].off();
    rails[2].off();
    server.close();
    rmSync(socketPath, { force: true });
    rmSync(join(dir, 'daemon.pid'), { force: true });
    await hub.close();
    process.exit(0);
  };

  const handle = async (request: LabRequest): Promise<unknown> => {
    switch (request.op) {
      case 'status':
        return [rails[1].state, rails[2].state];
      case 'power':
        process.stdout.write(
          `${new Date().toISOString()} power ${request.on ? 'on' : 'off'} P${request.board}\n`,
        );
        if (request.on) rails[request.board].on();
        else rails[request.board].off();
        return rails[request.board].state;
      case 'power-cut-at':
        armedCut = { board: request.board, step: request.step };
        for (const rail of [rails[1], rails[2]]) rail.watchSwitchStep(request.step);
        return rails[request.board].state;
      case 'store-cut-at':
        if (!Number.isInteger(request.operation) || request.operation < 1) {
          throw new Error(
            `store-cut-at takes an operation number from 1, not ${request.operation}`,
          );
        }
        process.stdout.write(
          `${new Date().toISOString()} power cut P${request.board} armed at store operation +${request.operation}\n`,
        );
        rails[request.board].cutInStoreOperation(request.operation);
        return rails[request.board].state;
      case 'store-fault-at':
        if (!Number.isInteger(request.operation) || request.operation < 0) {
          throw new Error(
            `store-fault-at takes an operation number from 1, or 0 for the first read after the next power-on, not ${request.operation}`,
          );
        }
        process.stdout.write(
          `${new Date().toISOString()} store fault P${request.board} armed at ${request.operation === 0 ? 'its first read after power-on' : `store operation +${request.operation}`}\n`,
        );
        rails[request.board].failInStoreOperation(request.operation);
        return rails[request.board].state;
      case 'store-reads-fail':
        process.stdout.write(
          `${new Date().toISOString()} store of P${request.board}: every read fails from its next power-on\n`,
        );
        rails[request.board].failStoreReads();
        return rails[request.board].state;
      case 'fence': {
        // A reset pulse: a powered board restarts; an unpowered one stays off.
        // Two boards that fenced each other while the daemon stalled: the first
        // pulse handled reset the second's sender, so the second never happened.
        const issuer = rails[request.board === 1 ? 2 : 1];
        if (issuer.state.pid !== request.fromPid) {
          process.stdout.write(
            `${new Date().toISOString()} fence of P${request.board} void: its sender was reset before it\n`,
          );
          return rails[request.board].state;
        }
        const rail = rails[request.board];
        if (rail.state.powered) {
          rail.off();
          setTimeout(() => rail.on(), 0);
        }
        return rail.state;
      }
      case 'cable':
        process.stdout.write(
          `${new Date().toISOString()} cable ${request.cable} ${JSON.stringify(request.restore ? 'restore' : request.faults)}\n`,
        );
        return request.restore === true
          ? hub.restore(request.cable)
          : hub.fault(request.cable, request.direction ?? 'both', request.faults ?? {});
      case 'shutdown':
        setTimeout(() => void shutdown(), 10);
        return 'shutting down';
    }
  };

  const server = createServer((socket: Socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        handle(JSON.parse(line) as LabRequest)
          .then((result) => socket.write(`${JSON.stringify({ ok: true, result })}\n`))
          .catch((error: unknown) =>
            socket.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`),
          );
        newline = buffer.indexOf('\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  writeFileSync(join(dir, 'daemon.pid.tmp'), String(process.pid));
  renameSync(join(dir, 'daemon.pid.tmp'), join(dir, 'daemon.pid'));
  process.on('SIGTERM', () => void shutdown());
  rails[1].on();
  rails[2].on();
  relays = await RelayController.start({
    binding: SimBinding,
    path: portPath(config, endpoint.relayBoard),
    profile: await loadRigProfile(LAB_RIG_PROFILE_FILE),
    setPowered: (board, on) => {
      process.stdout.write(`${new Date().toISOString()} relay ${on ? 'on' : 'off'} P${board}\n`);
      if (on) rails[board].on();
      else rails[board].off();
    },
  });
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { lab: { type: 'string' } } });
  await runDaemon(resolve(values.lab ?? '.tandem/lab'));
}
