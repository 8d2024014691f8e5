/**
 * The dashboard's web server: `node:http`, the page and its script as static
 * files (uPlot from node_modules, so it works offline), Server-Sent Events
 * for the live data, and a POST per action. It binds to 127.0.0.1 unless
 * told otherwise: the actions pull power.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BadActionError, parseAction } from './actions.ts';
import type { LatencySample, PairFeed } from './pair-feed.ts';
import { describeEvent, type LiveEvent, readinessLabel } from './pair-view.ts';
import { PairWatch } from './pair-watch.ts';

export interface DashboardOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** How often the boards are read and the page updated. */
  readonly intervalMs: number;
}

export interface Dashboard {
  readonly url: string;
  readonly watch: PairWatch;
  /** Stops serving and reading (the feed stays open: its owner closes it). */
  close(): Promise<void>;
}

/** Latency samples a page gets when it connects; it keeps about a minute of them. */
const LATENCY_BACKLOG_MAX = 5000;
/** Bytes of an action's body; anything longer is not an action. */
const ACTION_BODY_MAX_BYTES = 4096;

const STATIC_DIR = join(import.meta.dirname, 'static');
const require = createRequire(import.meta.url);
const UPLOT_DIR = join(require.resolve('uplot/package.json'), '..', 'dist');

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

function staticFiles(): ReadonlyMap<string, StaticFile> {
  const file = (path: string, type: string) => ({ type, body: readFileSync(path) });
  return new Map([
    ['/', file(join(STATIC_DIR, 'index.html'), 'text/html; charset=utf-8')],
    ['/app.js', file(join(STATIC_DIR, 'app.js'), 'text/javascript; charset=utf-8')],
    ['/style.css', file(join(STATIC_DIR, 'style.css'), 'text/css; charset=utf-8')],
    [
      '/vendor/uPlot.js',
      file(join(UPLOT_DIR, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'),
    ],
    ['/vendor/uPlot.css', file(join(UPLOT_DIR, 'uPlot.min.css'), 'text/css; charset=utf-8')],
  ]);
}

export async function startDashboard(
  feed: PairFeed,
  options: DashboardOptions,
): Promise<Dashboard> {
  const files = staticFiles();
  const watch = new PairWatch(feed, options.intervalMs);
  const view = watch.view;
  const clients = new Set<ServerResponse>();
  const latencies: LatencySample[] = [];
  let latencyIndex = 0;
  let pendingEvents: LiveEvent[] = [];

  const send = (response: ServerResponse, name: string, data: unknown) =>
    response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  const broadcast = (name: string, data: unknown) => {
    for (const client of clients) send(client, name, data);
  };
  const withText = (event: LiveEvent) => ({ ...event, text: describeEvent(event) });
  const state = () => ({
    atMs: view.boards === null ? null : Date.now(),
    readiness: view.readiness,
    label: readinessLabel(view.readiness),
    boards: view.boards,
    counters: view.counters,
    requestsPerSecond: view.requestsPerSecond,
    load: feed.load?.figures() ?? null,
  });

  view.onEvent((event) => pendingEvents.push(event));
  watch.onReading(() => {
    const fresh = feed.load?.latencies(latencyIndex) ?? [];
    latencyIndex += fresh.length;
    latencies.push(...fresh);
    if (latencies.length > LATENCY_BACKLOG_MAX)
      latencies.splice(0, latencies.length - LATENCY_BACKLOG_MAX);
    if (pendingEvents.length > 0) broadcast('events', pendingEvents.map(withText));
    pendingEvents = [];
    if (fresh.length > 0) broadcast('latency', fresh);
    broadcast('state', state());
  });

  const onAction = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const reply = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    let action: ReturnType<typeof parseAction>;
    try {
      if (body === null)
        throw new BadActionError(
          'bad-json',
          'the action is too long',
          'send one small JSON object',
        );
      action = parseAction(body, feed.capabilities);
    } catch (error) {
      if (!(error instanceof BadActionError)) throw error;
      reply(400, { ok: false, code: error.code, message: error.message, hint: error.hint });
      return;
    }
    const command = feed.commandFor(action);
    broadcast('action', { action, command, outcome: null });
    const outcome = await feed.act(action);
    broadcast('action', { action, command, outcome });
    reply(outcome.ok ? 200 : 409, { ...outcome, command });
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'GET' && path === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      clients.add(response);
      request.on('close', () => clients.delete(response));
      send(response, 'hello', {
        name: feed.name,
        capabilities: feed.capabilities,
        events: view.events.map(withText),
        latencies,
        state: state(),
      });
      return;
    }
    if (request.method === 'POST' && path === '/api/action') {
      onAction(request, response).catch((error: Error) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: false, code: 'internal', message: error.message }));
      });
      return;
    }
    const file = request.method === 'GET' ? files.get(path) : undefined;
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found\n');
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
    response.end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  watch.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    watch,
    close: async () => {
      await watch.stop();
      for (const client of clients) client.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request's body as text, or null when it runs past ACTION_BODY_MAX_BYTES. */
function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= ACTION_BODY_MAX_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(bytes > ACTION_BODY_MAX_BYTES ? null : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });
}
