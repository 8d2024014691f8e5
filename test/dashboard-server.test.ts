/**
 * The dashboard's server on any PairFeed (here one made up in memory, as a
 * target on real ports would plug in): the page and uPlot come from this
 * machine, the live data as Server-Sent Events, and an action is checked
 * before it runs, bad input refused with a code and a hint.
 */
import test from 'ava';
import type { FeedAction, PairFeed, PairReading } from '../host/dashboard/pair-feed.ts';
import { startDashboard } from '../host/dashboard/server.ts';

function fakeFeed(done: FeedAction[]): PairFeed {
  const reading: PairReading = {
    atMs: 1000,
    boards: [
      { processor: 1, status: null, powered: false, uptimeMs: null, memoryBytes: null },
      { processor: 2, status: null, powered: true, uptimeMs: null, memoryBytes: null },
    ],
    entries: [],
    powerChanges: [],
  };
  return {
    name: 'made-up pair',
    capabilities: { power: true, cables: 2, pushVersions: ['2.0.0'], load: false },
    read: async () => reading,
    act: async (action) => {
      done.push(action);
      return { ok: true, message: 'done', code: null };
    },
    commandFor: (action) => `tandem ${action.kind}`,
    load: null,
    close: async () => {},
  };
}

test('serves the page, uPlot, live events and checked actions', async (t) => {
  const done: FeedAction[] = [];
  const dashboard = await startDashboard(fakeFeed(done), {
    host: '127.0.0.1',
    port: 0,
    intervalMs: 50,
  });
  try {
    t.regex(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(dashboard.url);
    t.is(page.status, 200);
    t.regex(await page.text(), /<script src="\/vendor\/uPlot.js">/);
    const uplot = await fetch(new URL('/vendor/uPlot.js', dashboard.url));
    t.is(uplot.status, 200);
    t.regex(await uplot.text(), /uPlot/);

    const post = (body: string) =>
      fetch(new URL('/api/action', dashboard.url), { method: 'POST', body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    t.like(await post('{not json'), { status: 400, body: { code: 'bad-json' } });
    t.like(await post('{"kind":"power","processor":3,"on":false}'), {
      status: 400,
      body: { code: 'bad-field' },
    });
    t.like(await post('{"kind":"load","run":true}'), {
      status: 400,
      body: { code: 'unsupported' },
    });
    const refused = await post('{"kind":"cable","path":2,"cut":true}');
    t.is(refused.status, 400);
    t.regex(String(refused.body.hint), /"kind":"cable"/);
    t.deepEqual(done, [], 'nothing ran on bad input');
    t.like(await post('{"kind":"power","processor":1,"on":true}'), {
      status: 200,
      body: { ok: true, message: 'done', command: 'tandem power' },
    });
    t.deepEqual(done, [{ kind: 'power', processor: 1, on: true }]);

    const abort = new AbortController();
    const events = await fetch(new URL('/events', dashboard.url), { signal: abort.signal });
    t.is(events.headers.get('content-type'), 'text/event-stream');
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!(text.includes('event: hello') && text.includes('event: state'))) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    abort.abort();
    t.regex(text, /event: hello\ndata: \{"name":"made-up pair","capabilities":\{"power":true/);
    t.regex(text, /event: state\ndata: \{.*"label":"DOWN"/);
  } finally {
    await dashboard.close();
  }
});
