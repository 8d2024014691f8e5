/**
 * The Linux board's GPIO lines: the fence pulses the line its profile names,
 * the DSR substitute carries DTR out on one GPIO and DSR in on another, and
 * `status` says whether the board has a fence. A fake `Gpio` records what
 * the board asks of the lines; fake libgpiod tools (shell scripts) check the
 * processes `GpiodTools` runs.
 *
 * No test runs against the kernel's gpio-sim or gpio-mockup: both need the
 * module loaded and (gpio-sim) configfs mounted, as root; this machine has
 * neither /sys/kernel/config nor kernel modules, so such a test could not run here.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { Gpio, GpioInput, GpioOutput } from '../boards/linux/gpio.ts';
import { gpioFence, gpioLiveness } from '../boards/linux/gpio-lines.ts';
import { GPIOD_TOOLS, GpiodTools, gpiodMajor } from '../boards/linux/gpiod-tools.ts';
import { runLinuxBoard } from '../boards/linux/main.ts';
import type { PortLink } from '../boards/node/board.ts';
import type { BoardLines, GpioLine } from '../boards/profile.ts';

type Call =
  | { op: 'pulse'; line: GpioLine; ms: number }
  | { op: 'output'; line: GpioLine; asserted: boolean }
  | { op: 'set'; line: GpioLine; asserted: boolean }
  | { op: 'input'; line: GpioLine };

/** A Gpio that records every request; inputs are driven by the test. */
class FakeGpio implements Gpio {
  readonly calls: Call[] = [];
  readonly inputs = new Map<number, { level: boolean; onChange: (a: boolean) => void }>();

  async pulse(line: GpioLine, ms: number): Promise<void> {
    this.calls.push({ op: 'pulse', line, ms });
  }

  async output(line: GpioLine, asserted: boolean): Promise<GpioOutput> {
    this.calls.push({ op: 'output', line, asserted });
    return {
      set: async (next) => {
        this.calls.push({ op: 'set', line, asserted: next });
      },
      close: async () => {},
    };
  }

  async input(line: GpioLine, onChange: (asserted: boolean) => void): Promise<GpioInput> {
    this.calls.push({ op: 'input', line });
    const state = { level: false, onChange };
    this.inputs.set(line.line, state);
    return {
      get asserted() {
        return state.level;
      },
      close: async () => {},
    };
  }

  /** The partner drives our input line. */
  drive(line: number, level: boolean): void {
    const state = this.inputs.get(line);
    if (state === undefined) throw new Error(`line ${line} is not an input`);
    state.level = level;
    state.onChange(level);
  }
}

const fenceLine = { chip: 'gpiochip0', line: 17, activeLevel: 'high' } as const;
const toPartner = { chip: 'gpiochip0', line: 22, activeLevel: 'high' } as const;
const fromPartner = { chip: 'gpiochip0', line: 23, activeLevel: 'low' } as const;

test('the fence pulses the line and for the time the profile names', async (t) => {
  const gpio = new FakeGpio();
  const lines: BoardLines = {
    dsrFromPartner: true,
    fenceToPartnerReset: true,
    fenceGpio: { ...fenceLine, pulseMs: 250 },
  };
  const fence = gpioFence(lines, gpio, () => {});
  t.true(fence.wired);
  if (fence.wired) fence.pulse();
  t.deepEqual(gpio.calls, [{ op: 'pulse', line: { ...fenceLine, pulseMs: 250 }, ms: 250 }]);
});

test('a pulse without pulseMs lasts the default 100 ms', async (t) => {
  const gpio = new FakeGpio();
  const fence = gpioFence(
    { dsrFromPartner: false, fenceToPartnerReset: true, fenceGpio: fenceLine },
    gpio,
    () => {},
  );
  if (fence.wired) fence.pulse();
  t.like(gpio.calls[0], { op: 'pulse', ms: 100 });
});

test('no fence line wired: the fence is none and nothing is pulsed', (t) => {
  const gpio = new FakeGpio();
  const fence = gpioFence({ dsrFromPartner: true, fenceToPartnerReset: false }, gpio, () => {});
  t.deepEqual(fence, { wired: false });
  t.deepEqual(gpio.calls, []);
});

function quietPort(dtr: boolean[]): PortLink {
  return {
    baud: 115200,
    write: () => {},
    onData: () => {},
    setDtr: (high) => dtr.push(high),
    dsr: async () => false,
    drain: async () => {},
  };
}

test('the DSR substitute: DTR drives our GPIO output, DSR reads the partner’s GPIO input', async (t) => {
  const gpio = new FakeGpio();
  const modemDtr: boolean[] = [];
  const liveness = await gpioLiveness(
    [quietPort(modemDtr), quietPort(modemDtr)],
    { toPartner, fromPartner },
    gpio,
  );
  // Deasserted until an image runs.
  t.deepEqual(gpio.calls.slice(0, 2), [
    { op: 'output', line: toPartner, asserted: false },
    { op: 'input', line: fromPartner },
  ]);
  const [path0, path1] = liveness.interconnect;
  if (path0 === undefined || path1 === undefined) throw new Error('two paths expected');
  t.false(await path0.dsr());
  gpio.drive(23, true);
  t.true(await path0.dsr());
  t.true(await path1.dsr(), 'one wire stands for every path');
  path0.setDtr(true);
  path1.setDtr(true);
  path0.setDtr(false);
  await liveness.close();
  t.deepEqual(
    gpio.calls.slice(2).map((c) => (c.op === 'set' ? c.asserted : c.op)),
    [true, true, false],
  );
  t.deepEqual(modemDtr, [], 'the UARTs’ own modem lines are left alone');
});

async function boardFiles(lines: object) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-linux-board-'));
  const profile = join(dir, 'p1.board.json');
  writeFileSync(
    profile,
    JSON.stringify({
      name: 'test-linux-p1',
      kind: 'linux',
      processor: 1,
      interconnect: [
        { path: '/dev/ttyTEST0', baud: 115200 },
        { path: '/dev/ttyTEST1', baud: 115200 },
      ],
      host: { path: '/dev/ttyTEST2', baud: 115200 },
      bus: { path: '/dev/ttyTEST3', baud: 115200 },
      lines,
      flash: { slotBytes: 65536, nvmBytes: 4096 },
    }),
  );
  const key = join(dir, 'image-signing.pub');
  writeFileSync(key, `${randomBytes(32).toString('base64')}\n`);
  return { profile, key, flash: join(dir, 'flash.bin'), log: join(dir, 'board.log') };
}

test('a Linux board with a fence GPIO says fence wired in status and pulses that line', async (t) => {
  const gpio = new FakeGpio();
  const files = await boardFiles({
    dsrFromPartner: true,
    fenceToPartnerReset: true,
    fenceGpio: fenceLine,
    dsrGpio: { toPartner, fromPartner },
  });
  const linux = await runLinuxBoard({ ...files, gpio, openPort: async () => quietPort([]) });
  t.is(linux.board.status().fence, 'wired');
  const { fence } = linux.board.options;
  if (fence.wired) fence.pulse();
  t.deepEqual(
    gpio.calls.filter((c) => c.op === 'pulse'),
    [{ op: 'pulse', line: fenceLine, ms: 100 }],
  );
  // The board polls DSR on the GPIO input, not the UART.
  gpio.drive(23, true);
  t.true(await linux.board.options.ports.interconnect[0]?.dsr());
  await linux.close();
});

test('a Linux board without a fence line says fence none in status', async (t) => {
  const gpio = new FakeGpio();
  const files = await boardFiles({ dsrFromPartner: true, fenceToPartnerReset: false });
  const linux = await runLinuxBoard({ ...files, gpio, openPort: async () => quietPort([]) });
  t.is(linux.board.status().fence, 'none');
  t.deepEqual(gpio.calls, []);
  await linux.close();
});

test('each libgpiod version gets its own command lines', (t) => {
  const low = { chip: 'gpiochip0', line: 5, activeLevel: 'low' } as const;
  t.deepEqual(GPIOD_TOOLS[1].pulse(low, 1500), {
    tool: 'gpioset',
    args: ['--active-low', '--mode=time', '--sec=1', '--usec=500000', 'gpiochip0', '5=1'],
  });
  t.deepEqual(GPIOD_TOOLS[2].pulse(low, 1500), {
    tool: 'gpioset',
    args: ['--chip', 'gpiochip0', '--active-low', '--toggle', '1500ms,0', '5=1'],
  });
  t.deepEqual(GPIOD_TOOLS[1].hold(fenceLine, true).args, ['--mode=wait', 'gpiochip0', '17=1']);
  t.deepEqual(GPIOD_TOOLS[2].get(low).args, [
    '--chip',
    'gpiochip0',
    '--active-low',
    '--numeric',
    '5',
  ]);
  // Edges as each version prints them with --format=%e.
  t.deepEqual(['1', '0', 'x'].map(GPIOD_TOOLS[1].edge), [true, false, null]);
  t.deepEqual(['1', '2', '0'].map(GPIOD_TOOLS[2].edge), [true, false, null]);
});

/** Fake libgpiod 1.6 tools: they log their arguments and behave as the real ones do on success. */
function fakeTools(): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-fake-gpiod-'));
  const log = join(dir, 'calls.log');
  const tool = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(path, 0o755);
  };
  tool(
    'gpioset',
    `case "$*" in
  *--version*) echo "gpioset (libgpiod) v1.6.3" ;;
  *--mode=wait*) read -r _; echo "released $*" >> "${log}" ;;
esac`,
  );
  tool('gpioget', 'echo 1');
  // Three edges, then it watches until killed.
  tool('gpiomon', 'printf "0\\n1\\n0\\n"; exec sleep 600');
  return {
    dir,
    calls: () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter((line) => !line.includes('--version')),
  };
}

test('GpiodTools runs the version-1 tools: a pulse, a held line set twice, a watched input', async (t) => {
  const tools = fakeTools();
  t.is(await gpiodMajor(tools.dir), 1);
  const faults: string[] = [];
  const gpio = await GpiodTools.open({ toolsDir: tools.dir, onFault: (m) => faults.push(m) });
  await gpio.pulse(fenceLine, 100);
  const out = await gpio.output(toPartner, false);
  await out.set(true);
  await out.set(true);
  await out.close();
  const seen: boolean[] = [];
  const changes = new Promise<void>((resolve) => {
    void gpio
      .input(fromPartner, (level) => {
        seen.push(level);
        if (seen.length === 3) resolve();
      })
      .then(async (input) => {
        await changes;
        t.false(input.asserted);
        await input.close();
      });
  });
  await changes;
  t.deepEqual(seen, [false, true, false]);
  t.deepEqual(tools.calls().slice(0, 6), [
    'gpioset --mode=time --sec=0 --usec=100000 gpiochip0 17=1',
    'gpioset --mode=wait gpiochip0 22=0',
    'released --mode=wait gpiochip0 22=0',
    'gpioset --mode=wait gpiochip0 22=1',
    'released --mode=wait gpiochip0 22=1',
    'gpioget --active-low gpiochip0 23',
  ]);
  t.deepEqual(faults, [], 'lines released on purpose are no faults');
});

test('missing tools are a typed error with a hint', async (t) => {
  const error = await t.throwsAsync(gpiodMajor(join(tmpdir(), 'no-such-gpiod-dir')));
  t.like(error, {
    code: 'tools-missing',
    hint: 'install the libgpiod tools on the board: apt install gpiod',
  });
});
