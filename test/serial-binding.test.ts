import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import test, { type ExecutionContext } from 'ava';
import type { CableConfig } from '../host/lab/hub/config.ts';
import { HubClient } from '../host/lab/hub/control.ts';
import { type Hub, startHub } from '../host/lab/hub/main.ts';
import {
  createSimBinding,
  SimBinding,
  type SimPortBinding,
  type SimPortStatus,
} from '../host/lab/serial/sim-binding.ts';

// One hub per test, in this process, on a temp dir. Events are awaited by
// polling with a generous timeout; nothing sleeps a fixed time.

const CABLES: CableConfig[] = [
  { name: 'slow', a: 'p1-path0', b: 'p2-path0', baud: 115_200 },
  { name: 'fast', a: 'p1-path1', b: 'p2-path1', baud: 1_000_000 },
  { name: 'crawl', a: 'p1-path2', b: 'p2-path2', baud: 9600 },
];

interface Lab {
  readonly hub: Hub;
  readonly dir: string;
  path(endpoint: string): string;
  open(endpoint: string): Promise<Port>;
}

async function lab(t: ExecutionContext): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-serial-'));
  const hub = await startHub({ cables: CABLES }, dir);
  const ports: Port[] = [];
  t.teardown(async () => {
    for (const port of ports) if (port.stream.isOpen) await closeStream(port.stream);
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = (endpoint: string) => `sim:${hub.socketPath}#${endpoint}`;
  return {
    hub,
    dir,
    path,
    async open(endpoint) {
      const cable = CABLES.find((c) => c.a === endpoint || c.b === endpoint) as CableConfig;
      const port = await openPort(path(endpoint), cable.baud);
      ports.push(port);
      return port;
    },
  };
}

/** An open stream with everything it received and every event it raised. */
interface Port {
  readonly stream: SerialPortStream;
  received(): Buffer;
  readonly events: string[];
}

function openPort(path: string, baudRate: number): Promise<Port> {
  return new Promise((resolve, reject) => {
    const stream = new SerialPortStream({ binding: SimBinding, path, baudRate }, (error) => {
      if (error) {
        reject(error);
        return;
      }
      const chunks: Buffer[] = [];
      const events: string[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (e) => events.push(`error: ${e.message}`));
      stream.on('close', (e: Error | null) => events.push(`close${e ? `: ${e.message}` : ''}`));
      stream.on('end', () => events.push('end'));
      resolve({ stream, received: () => Buffer.concat(chunks), events });
    });
  });
}

function closeStream(stream: SerialPortStream): Promise<void> {
  return new Promise((resolve) => stream.close(() => resolve()));
}

function status(stream: SerialPortStream): Promise<SimPortStatus> {
  return new Promise((resolve, reject) =>
    stream.get((error, value) => (error ? reject(error) : resolve(value as SimPortStatus))),
  );
}

function setLines(
  stream: SerialPortStream,
  options: { dtr?: boolean; brk?: boolean },
): Promise<void> {
  return new Promise((resolve, reject) =>
    stream.set(options, (error) => (error ? reject(error) : resolve())),
  );
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const dsrIs = (stream: SerialPortStream, level: boolean) => async () =>
  (await status(stream)).dsr === level;

function pattern(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('bytes cross a 115200 baud cable intact, in order, and paced at 8N1', async (t) => {
  const { open } = await lab(t);
  const a = await open('p1-path0');
  const b = await open('p2-path0');
  const data = pattern(11_520);
  const started = performance.now();
  a.stream.write(data);
  await waitFor(() => b.received().length >= data.length, 'all bytes at the far end');
  const elapsedMs = performance.now() - started;
  t.true(b.received().equals(data));
  // 11,520 bytes of 10 bits at 115200 baud take 1 s on the line.
  t.true(elapsedMs >= 900, `took ${elapsedMs.toFixed(0)} ms`);

  b.stream.write('and back');
  await waitFor(() => a.received().length >= 8, 'the answer');
  t.is(a.received().toString(), 'and back');
});

test('a 1,000,000 baud cable carries both ways at once', async (t) => {
  const { open } = await lab(t);
  const a = await open('p1-path1');
  const b = await open('p2-path1');
  const there = pattern(40_000, 2);
  const back = pattern(30_000, 3);
  for (let at = 0; at < there.length; at += 1000) a.stream.write(there.subarray(at, at + 1000));
  b.stream.write(back);
  await waitFor(
    () => b.received().length >= there.length && a.received().length >= back.length,
    'both transfers',
  );
  t.true(b.received().equals(there));
  t.true(a.received().equals(back));
});

test('DTR on one end is DSR on the other; a port that is not open shows DSR low', async (t) => {
  const { open } = await lab(t);
  const a = await open('p1-path0');
  t.false((await status(a.stream)).dsr, 'nobody at the far end yet');
  const b = await open('p2-path0');
  t.true((await status(b.stream)).dsr, 'the port reads the true DSR from the moment it is open');
  // Opening a port raises its DTR, as a tty does.
  await waitFor(dsrIs(a.stream, true), 'DSR high at A');
  await waitFor(dsrIs(b.stream, true), 'DSR high at B');
  await setLines(a.stream, { dtr: false });
  await waitFor(dsrIs(b.stream, false), 'DSR low at B');
  t.true((await status(a.stream)).dsr, "A still sees B's DTR");
  await setLines(a.stream, { dtr: true });
  await waitFor(dsrIs(b.stream, true), 'DSR high at B again');
  const st = await status(b.stream);
  t.false(st.cts);
  t.false(st.dcd);
  await closeStream(b.stream);
  await waitFor(dsrIs(a.stream, false), 'DSR low at A after B closed');
  t.pass();
});

test('a break is seen by the far end, latched until read', async (t) => {
  const { open } = await lab(t);
  const a = await open('p1-path0');
  const b = await open('p2-path0');
  t.false((await status(b.stream)).brk);
  await setLines(a.stream, { brk: true });
  await waitFor(async () => (await status(b.stream)).brk, 'break at B');
  await setLines(a.stream, { brk: false });
  // Once released, the latch still reports it to one more get(), then clears.
  await waitFor(async () => !(await status(b.stream)).brk, 'break released');
  t.true((await status(b.stream)).dsr);
});

test('a power pull (connection dropped, no goodbye) drops the far DSR and nothing else', async (t) => {
  const { open, hub } = await lab(t);
  const a = await open('p1-path0');
  const b = await open('p2-path0');
  await waitFor(dsrIs(a.stream, true), 'DSR high at A');
  b.stream.write('alive');
  await waitFor(() => a.received().length >= 5, 'bytes from B');

  (b.stream.port as SimPortBinding).simulatePowerPull();
  await waitFor(dsrIs(a.stream, false), 'DSR low at A');
  t.true(a.stream.isOpen);
  t.deepEqual(a.events, [], 'no error, close or end at A');
  t.is(a.received().toString(), 'alive');

  // A keeps working: what it sends goes nowhere.
  a.stream.write(pattern(50));
  await waitFor(
    () => hub.cables()[0]?.directions['a-to-b'].bytesDropped === 50,
    'bytes to the dead end dropped',
  );
  const cable = hub.cables()[0];
  t.false(cable?.b.open);
  t.false(cable?.a.dsr);
  t.deepEqual(a.events, []);

  // The board comes back: the endpoint is free again and DSR returns.
  const again = await open('p2-path0');
  await waitFor(dsrIs(a.stream, true), 'DSR high at A again');
  again.stream.write('back');
  await waitFor(() => a.received().length >= 9, 'bytes from the new B');
  t.is(a.received().toString(), 'aliveback');
});

test('a power pull loses the unsent transmit buffer; bytes already on the wire still arrive', async (t) => {
  const { open, hub } = await lab(t);
  const crawl = () => hub.cables()[2]?.directions['b-to-a'];
  const a = await open('p1-path2');
  const b = await open('p2-path2');
  hub.fault('crawl', 'b-to-a', { delayMs: 200 });
  b.stream.write(pattern(2000, 5)); // 2 s of line time at 9600 baud
  // Some bytes have left B's UART (into 200 ms of cable), most are still in its buffer.
  await waitFor(() => {
    const line = crawl();
    return line?.bytesWritten === 2000 && line.backlog < 1950;
  }, 'sending under way');
  (b.stream.port as SimPortBinding).simulatePowerPull();
  await waitFor(() => crawl()?.backlog === 0, 'buffer gone');
  const onWire = 2000 - (crawl()?.bytesDropped ?? 0);
  t.true(onWire >= 50 && onWire < 2000, `${onWire} bytes on the wire`);
  await waitFor(() => a.received().length === onWire, 'the bytes on the wire');
  t.true(a.received().equals(pattern(2000, 5).subarray(0, onWire)));
});

test('a two-way cut unplugs the cable: DSR low at both ends and data dropped', async (t) => {
  const { open, hub } = await lab(t);
  const a = await open('p1-path0');
  const b = await open('p2-path0');
  await waitFor(dsrIs(a.stream, true), 'DSR at A');
  await waitFor(dsrIs(b.stream, true), 'DSR at B');
  const control = await HubClient.forLab(hubDir(hub));
  t.teardown(() => control.close());
  const cut = await control.fault({ cable: 'slow', direction: 'both', cut: true });
  t.true(cut.unplugged);
  await waitFor(dsrIs(a.stream, false), 'DSR low at A');
  await waitFor(dsrIs(b.stream, false), 'DSR low at B');
  a.stream.write(pattern(100));
  b.stream.write(pattern(60));
  await waitFor(async () => {
    const { directions } = await control.cable('slow');
    return directions['a-to-b'].bytesDropped === 100 && directions['b-to-a'].bytesDropped === 60;
  }, 'bytes dropped both ways');
  t.is(a.received().length, 0);
  t.is(b.received().length, 0);
  t.deepEqual(a.events, []);

  await control.restore('slow');
  await waitFor(dsrIs(a.stream, true), 'DSR back at A');
  a.stream.write('plugged');
  await waitFor(() => b.received().length >= 7, 'data again');
  t.is(b.received().toString(), 'plugged');
});

test('a one-way cut drops one direction only and leaves DSR alone', async (t) => {
  const { open, hub } = await lab(t);
  const a = await open('p1-path0');
  const b = await open('p2-path0');
  const cut = hub.fault({ cable: 'slow', direction: 'a-to-b', cut: true });
  t.false(cut.unplugged);
  t.true(cut.a.dsr && cut.b.dsr);
  a.stream.write(pattern(80));
  await waitFor(() => hub.cables()[0]?.directions['a-to-b'].bytesDropped === 80, 'A to B dropped');
  b.stream.write('still here');
  await waitFor(() => a.received().length >= 10, 'B to A delivered');
  t.is(a.received().toString(), 'still here');
  t.is(b.received().length, 0);
  t.true((await status(a.stream)).dsr);
  t.true((await status(b.stream)).dsr);
});

test('corruption, duplication and loss as set through the control API', async (t) => {
  const { open, hub } = await lab(t);
  const a = await open('p1-path1');
  const b = await open('p2-path1');
  const data = pattern(200, 9);
  const dir = hub.cables()[1]?.directions['a-to-b'];
  t.is(dir?.bytesWritten, 0);

  hub.fault({ cable: 'fast', direction: 'a-to-b', corruptRate: 1 });
  a.stream.write(data);
  await waitFor(() => b.received().length >= 200, 'corrupted write');
  const got = b.received();
  let flipped = 0;
  for (let i = 0; i < 200; i++) if (got[i] !== data[i]) flipped++;
  t.is(flipped, 1);

  hub.fault('fast', 'a-to-b', { corruptRate: 0, duplicateRate: 1 });
  a.stream.write('twice');
  await waitFor(() => b.received().length >= 210, 'duplicated write');
  t.is(b.received().subarray(200).toString(), 'twicetwice');

  hub.fault('fast', 'a-to-b', { duplicateRate: 0, lossRate: 1 });
  a.stream.write(pattern(100, 4));
  await waitFor(() => {
    const line = hub.cables()[1]?.directions['a-to-b'];
    return line?.bytesWritten === 305 && line.backlog === 0;
  }, 'lossy write sent');
  const counters = hub.cables()[1]?.directions['a-to-b'];
  t.true((counters?.bytesDropped ?? 0) >= 1);
  await waitFor(() => b.received().length === 310 - (counters?.bytesDropped ?? 0), 'the rest');
  t.is(counters?.bytesWritten, 305);
});

test('a second open of an open endpoint fails with a clear error', async (t) => {
  const { open, path } = await lab(t);
  await open('p1-path0');
  const error = await t.throwsAsync(openPort(path('p1-path0'), 115_200));
  t.regex(error?.message ?? '', /p1-path0.*busy: already open by process \d+/);
});

test('opening a missing endpoint, at the wrong baud, or with no hub fails clearly', async (t) => {
  const { path, dir } = await lab(t);
  const missing = await t.throwsAsync(openPort(path('p3-path0'), 115_200));
  t.regex(missing?.message ?? '', /no endpoint "p3-path0" on this hub \(it has: p1-path0/);
  const baud = await t.throwsAsync(openPort(path('p1-path0'), 9600));
  t.regex(baud?.message ?? '', /cable "slow" at 115200 baud, not 9600/);
  const noHub = await t.throwsAsync(openPort(`sim:${dir}/nowhere.sock#p1-path0`, 115_200));
  t.regex(noHub?.message ?? '', /no hub is listening/);
  const badPath = await t.throwsAsync(openPort('/dev/ttyUSB0', 115_200));
  t.regex(badPath?.message ?? '', /not a simulated port path/);
});

test('a read in progress rejects with canceled:true when the port closes', async (t) => {
  const { path } = await lab(t);
  const port = await SimBinding.open({ path: path('p1-path0'), baudRate: 115_200 });
  const reading = port.read(Buffer.alloc(16), 0, 16);
  await port.close();
  const error = (await t.throwsAsync(reading)) as Error & { canceled?: boolean };
  t.true(error.canceled);
  t.false(port.isOpen);
  await t.throwsAsync(port.read(Buffer.alloc(16), 0, 16), { message: /not open/ });
});

test('when the hub goes away, reads reject with disconnected:true and the stream closes', async (t) => {
  const { path, hub } = await lab(t);
  const port = await SimBinding.open({ path: path('p1-path0'), baudRate: 115_200 });
  const stream = await openPort(path('p2-path0'), 115_200);
  const reading = port.read(Buffer.alloc(16), 0, 16);
  await hub.close();
  const error = (await t.throwsAsync(reading)) as Error & { disconnected?: boolean };
  t.true(error.disconnected);
  const again = (await t.throwsAsync(port.read(Buffer.alloc(4), 0, 4))) as Error & {
    disconnected?: boolean;
  };
  t.true(again.disconnected);
  await port.close();
  await waitFor(() => stream.events.length > 0, 'the stream to close');
  t.regex(stream.events[0] ?? '', /^close: .*hub connection is gone/);
});

test('write resolves once the transmit buffer has room; drain once the line is empty', async (t) => {
  const { path, hub } = await lab(t);
  const a = await SimBinding.open({ path: path('p1-path0'), baudRate: 115_200 });
  t.teardown(() => (a.isOpen ? a.close() : undefined));
  const started = performance.now();
  await a.write(pattern(6000)); // 1.5 KiB beyond the 4 KiB buffer: ~130 ms of line time
  const written = performance.now() - started;
  t.true(written >= 100, `write took ${written.toFixed(0)} ms`);
  t.true((hub.cables()[0]?.directions['a-to-b'].backlog ?? 0) <= 4096);
  await a.drain();
  t.is(hub.cables()[0]?.directions['a-to-b'].backlog, 0);
  t.true(performance.now() - started >= 470, 'drained after 6000 bytes of line time');
  await a.write(pattern(3000));
  await a.flush();
  t.is(hub.cables()[0]?.directions['a-to-b'].backlog, 0, 'flush drops the unsent bytes');
  t.deepEqual(await a.getBaudRate(), { baudRate: 115_200 });
  await t.throwsAsync(a.update({ baudRate: 9600 }), { message: /runs at 115200 baud/ });
});

test('list() shows the endpoints of the hub', async (t) => {
  const { dir, path } = await lab(t);
  const ports = await createSimBinding(dir).list();
  t.deepEqual(
    ports.map((p) => p.path),
    ['p1-path0', 'p2-path0', 'p1-path1', 'p2-path1', 'p1-path2', 'p2-path2'].map(path),
  );
  t.is(ports[0]?.locationId, 'slow');
});

test('the control API answers errors and changes nothing', async (t) => {
  const { hub } = await lab(t);
  const control = await HubClient.forLab(hubDir(hub));
  t.teardown(() => control.close());
  t.is(control.hubPid, process.pid);
  await t.throwsAsync(control.fault({ cable: 'nope', direction: 'both', cut: true }), {
    message: /no cable "nope" on this hub \(it has: slow, fast, crawl\)/,
  });
  await t.throwsAsync(
    control.fault({ cable: 'slow', direction: 'sideways' as 'both', cut: true }),
    { message: /"direction" must be/ },
  );
  await t.throwsAsync(control.fault({ cable: 'slow', direction: 'both', lossRate: 2 }), {
    message: /"lossRate" must be a number from 0 to 1/,
  });
  t.throws(() => hub.fault('slow', 'both', { delayMs: -1 }), { message: /"delayMs" must be/ });
  const cables = await control.cables();
  t.deepEqual(
    cables.map((c) => [c.name, c.baud, c.unplugged, c.directions['a-to-b'].faults.cut]),
    [
      ['slow', 115_200, false, false],
      ['fast', 1_000_000, false, false],
      ['crawl', 9600, false, false],
    ],
  );
  const endpoints = await control.endpoints();
  t.is(endpoints.length, 6);
});

function hubDir(hub: Hub): string {
  return hub.dir;
}
