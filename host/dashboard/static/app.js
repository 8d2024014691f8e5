// The dashboard page: no build step. It follows the server's events
// (Server-Sent Events on /events) and posts actions to /api/action.

const WINDOW_S = 60;
const LOG_ROWS_MAX = 300;
const MARKED = new Set(['power', 'takeover', 'rejoin', 'switch-step', 'fence', 'split-brain']);

const page = {
  capabilities: null,
  state: null,
  xs: [],
  ys: [],
  marks: [],
  bands: [],
  openBand: null,
  chart: null,
  busy: false,
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 23);
}

function ms(value) {
  return value === null || value === undefined ? '—' : `${Math.round(value)} ms`;
}

function led(label, on, kind) {
  return el('span', { class: `led ${kind ?? ''} ${on ? 'on' : ''}`, title: label }, el('i'), label);
}

// Cards are built once and updated in place: a button replaced between
// mouse down and up would swallow the click.
function cardParts(processor) {
  const card = document.getElementById(`card-${processor}`);
  if (card.childElementCount === 0) {
    const power = el('button', {
      class: 'power',
      onclick: () => act(JSON.parse(power.dataset.action), power.textContent),
    });
    card.append(
      el('h3', {}, `Processor ${processor}`),
      el('div', { class: 'role' }),
      el('div', { class: 'version' }),
      el('div', { class: 'leds' }),
      el('div', { class: 'figures' }),
      power,
    );
  }
  return {
    card,
    role: card.querySelector('.role'),
    version: card.querySelector('.version'),
    leds: card.querySelector('.leds'),
    figures: card.querySelector('.figures'),
    power: card.querySelector('.power'),
  };
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function renderCard(board) {
  const parts = cardParts(board.processor);
  const status = board.status;
  const pair = status?.pair ?? null;
  const role =
    pair?.role ?? (status ? 'boot ROM' : board.powered === false ? 'power off' : 'no answer');
  const serving = role === 'primary' || role === 'primary-alone';
  const active = status?.slots.find((slot) => slot.active);
  setText(parts.role, role);
  setText(
    parts.version,
    pair
      ? `${pair.app} ${pair.version} · slot ${active?.slot ?? '?'} · ${pair.testMode ? 'trial' : 'confirmed'}`
      : status
        ? 'no image running'
        : '',
  );
  const paths = pair?.pathsUp ?? new Array(page.capabilities?.cables ?? 0).fill(false);
  const leds = [
    ['run', pair !== null, ''],
    ['primary', serving, 'primary'],
    ['fault', status === null || pair === null, 'fault'],
    ...paths.map((up, path) => [`path ${path}`, up, 'path']),
  ];
  const key = JSON.stringify(leds);
  if (parts.leds.dataset.key !== key) {
    parts.leds.dataset.key = key;
    parts.leds.replaceChildren(...leds.map(([label, on, kind]) => led(label, on, kind)));
  }
  setText(
    parts.figures,
    `memory ${board.memoryBytes === null ? '—' : `${(board.memoryBytes / 1048576).toFixed(0)} MiB`}` +
      ` · up ${board.uptimeMs === null ? '—' : `${(board.uptimeMs / 1000).toFixed(0)} s`}` +
      ` · checkpoint lag ${pair ? pair.checkpointLag : '—'} · txn ${pair ? pair.txn : '—'}`,
  );
  const canPower = page.capabilities?.power === true && board.powered !== null;
  parts.power.hidden = !canPower;
  setText(parts.power, board.powered === false ? 'Restore power' : 'Pull power');
  parts.power.dataset.action = JSON.stringify({
    kind: 'power',
    processor: board.processor,
    on: board.powered === false,
  });
  parts.power.classList.toggle('danger', board.powered !== false);
  parts.card.className = `card ${serving ? 'primary' : ''} ${board.powered === false ? 'off' : ''}`;
}

function metric(label, value, bad) {
  return el(
    'div',
    { class: `metric ${bad ? 'bad' : ''}`, 'data-name': label },
    el('b', {}, String(value)),
    el('span', {}, label),
  );
}

function renderHealth(state) {
  const boards = state.boards ?? [];
  const paths = [];
  for (let path = 0; path < (page.capabilities?.cables ?? 0); path++) {
    const ups = boards.map((b) => b.status?.pair?.pathsUp[path]);
    paths.push(
      metric(
        `path ${path} (heard, DSR high)`,
        ups.map((u) => (u ? 'up' : u === false ? 'down' : '—')).join(' / '),
      ),
    );
  }
  const lag = Math.max(0, ...boards.map((b) => b.status?.pair?.checkpointLag ?? 0));
  const c = state.counters;
  const load = state.load;
  document
    .getElementById('health')
    .replaceChildren(
      ...paths,
      metric('checkpoint lag', lag, lag > 0),
      metric('acknowledged', load ? load.acknowledged : '—'),
      metric('lost', load ? load.lost : '—', load?.lost > 0),
      metric('duplicated', load ? load.duplicated : '—', load?.duplicated > 0),
      metric('split brain', c.splitBrain, c.splitBrain > 0),
      metric('last takeover', ms(c.lastTakeoverMs)),
      metric('max takeover', ms(c.maxTakeoverMs)),
      metric('role changes', c.roleChanges),
      metric('fences', c.fences),
      metric('false suspicions', c.falseSuspicions),
    );
}

function render(state) {
  page.state = state;
  const badge = document.getElementById('badge');
  badge.textContent = state.label;
  badge.className = state.readiness.kind;
  const rate = state.requestsPerSecond;
  document.getElementById('rate').textContent =
    `${rate === null ? '—' : Math.round(rate)} requests/s${state.load ? ` · load ${state.load.running ? `running, ${state.load.clients} clients` : 'stopped'}` : ''}`;
  for (const board of state.boards ?? []) renderCard(board);
  renderHealth(state);
  renderButtons();
  drawChart();
}

function addEvent(event) {
  const row = el(
    'tr',
    { class: event.kind },
    el('td', {}, clock(event.atMs)),
    el('td', {}, event.text),
  );
  const body = document.querySelector('#log tbody');
  body.prepend(row);
  while (body.children.length > LOG_ROWS_MAX) body.lastChild.remove();
  if (!MARKED.has(event.kind)) return;
  if (event.kind === 'power' && !event.on) page.openBand = { from: event.atMs / 1000 };
  if (event.kind === 'takeover' && page.openBand) {
    page.bands.push({ from: page.openBand.from, to: event.atMs / 1000 });
    page.openBand = null;
  }
  const label =
    event.kind === 'takeover'
      ? `takeover P${event.processor}${event.takeoverMs === null ? '' : ` ${Math.round(event.takeoverMs)} ms`}`
      : event.kind === 'switch-step'
        ? `switch ${event.step}`
        : event.kind === 'power'
          ? `P${event.processor} ${event.on ? 'restored' : 'pulled'}`
          : event.kind === 'rejoin'
            ? `rejoin P${event.processor}`
            : event.kind;
  page.marks.push({ x: event.atMs / 1000, kind: event.kind, label });
  const marks = document.getElementById('marks');
  marks.append(el('li', { 'data-kind': event.kind }, `${clock(event.atMs)} ${label}`));
  while (marks.children.length > 12) marks.firstChild.remove();
}

const MARK_COLOURS = {
  takeover: '#e74c3c',
  rejoin: '#2ecc71',
  power: '#f1c40f',
  'switch-step': '#3fb6d8',
  fence: '#e67e22',
  'split-brain': '#ff00ff',
};

function drawOverlays(u) {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  const now = Date.now() / 1000;
  for (const band of [
    ...page.bands,
    ...(page.openBand ? [{ from: page.openBand.from, to: now }] : []),
  ]) {
    const x0 = u.valToPos(band.from, 'x', true);
    const x1 = u.valToPos(band.to, 'x', true);
    ctx.fillStyle = 'rgba(231, 76, 60, 0.25)';
    ctx.fillRect(x0, top, Math.max(3, x1 - x0), height);
  }
  ctx.font = `${11 * devicePixelRatio}px system-ui`;
  ctx.textAlign = 'left';
  for (const [index, mark] of page.marks.entries()) {
    const x = u.valToPos(mark.x, 'x', true);
    ctx.strokeStyle = MARK_COLOURS[mark.kind] ?? '#888';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    if (mark.kind !== 'switch-step' || mark.label.endsWith(' a') || mark.label.endsWith('done')) {
      // Staggered rows, so labels of events close in time stay readable.
      ctx.fillText(mark.label, x + 3, top + (12 + (index % 4) * 13) * devicePixelRatio);
    }
  }
  ctx.restore();
}

function makeChart() {
  const box = document.getElementById('timeline');
  page.chart = new uPlot(
    {
      width: box.clientWidth,
      height: 260,
      scales: {
        x: { time: true, range: () => [Date.now() / 1000 - WINDOW_S, Date.now() / 1000] },
        y: { range: (_u, _min, max) => [0, Math.max(20, (max ?? 0) * 1.1)] },
      },
      axes: [
        { stroke: '#8a96a3', grid: { stroke: '#26313c' } },
        { stroke: '#8a96a3', grid: { stroke: '#26313c' }, label: 'ms' },
      ],
      series: [
        {},
        {
          label: 'latency',
          stroke: '#3fb6d8',
          width: 0,
          points: { show: true, size: 3, fill: '#3fb6d8' },
        },
      ],
      legend: { show: false },
      hooks: { draw: [drawOverlays] },
    },
    [[], []],
    box,
  );
  addEventListener('resize', () => page.chart.setSize({ width: box.clientWidth, height: 260 }));
}

function drawChart() {
  const since = Date.now() / 1000 - WINDOW_S;
  while (page.xs.length > 0 && page.xs[0] < since) {
    page.xs.shift();
    page.ys.shift();
  }
  page.chart?.setData([page.xs, page.ys]);
}

function addLatencies(samples) {
  for (const sample of samples) {
    page.xs.push(sample.atMs / 1000);
    page.ys.push(sample.waitedMs);
  }
}

function actionButton(label, action, cls) {
  return el(
    'button',
    { class: cls ?? '', 'data-action': JSON.stringify(action), onclick: () => act(action, label) },
    label,
  );
}

function renderButtons() {
  const caps = page.capabilities;
  if (!caps || document.getElementById('buttons').childElementCount > 0) return;
  const buttons = [];
  for (let path = 0; path < caps.cables; path++) {
    buttons.push(actionButton(`Cut cable ${path}`, { kind: 'cable', path, cut: true }, 'danger'));
    buttons.push(actionButton(`Restore cable ${path}`, { kind: 'cable', path, cut: false }));
  }
  for (const version of caps.pushVersions) {
    buttons.push(actionButton(`Push ledger ${version}`, { kind: 'push', version }));
  }
  buttons.push(actionButton('Switch', { kind: 'switch', direction: 'switch' }));
  buttons.push(actionButton('Fall back', { kind: 'switch', direction: 'fallback' }));
  if (caps.load) {
    buttons.push(actionButton('Start load', { kind: 'load', run: true }));
    buttons.push(actionButton('Stop load', { kind: 'load', run: false }));
  }
  document.getElementById('buttons').replaceChildren(...buttons);
}

function showResult(label, command, outcome) {
  const result = document.getElementById('result');
  result.replaceChildren(
    el(
      'div',
      { class: outcome && !outcome.ok ? 'failed' : '' },
      `${label}: ${outcome ? outcome.message : 'running…'}`,
    ),
    el('div', { class: 'cli' }, `$ ${command}`),
  );
  result.dataset.state = outcome === null ? 'running' : outcome.ok ? 'ok' : 'failed';
}

async function act(action, label) {
  showResult(label, '…', null);
  try {
    const response = await fetch('/api/action', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(action),
    });
    const answer = await response.json();
    showResult(label, answer.command ?? answer.hint ?? '', answer);
  } catch (error) {
    showResult(label, '', { ok: false, message: `the dashboard did not answer: ${error.message}` });
  }
}

function connect() {
  const source = new EventSource('/events');
  const connection = document.getElementById('connection');
  source.addEventListener('open', () => {
    connection.textContent = 'live';
    connection.className = 'on';
  });
  source.addEventListener('error', () => {
    connection.textContent = 'offline (reconnecting)';
    connection.className = 'off';
  });
  source.addEventListener('hello', (message) => {
    const hello = JSON.parse(message.data);
    page.capabilities = hello.capabilities;
    document.getElementById('target').textContent = hello.name;
    document.querySelector('#log tbody').replaceChildren();
    document.getElementById('marks').replaceChildren();
    document.getElementById('buttons').replaceChildren();
    page.marks = [];
    page.bands = [];
    page.openBand = null;
    page.xs = [];
    page.ys = [];
    addLatencies(hello.latencies);
    for (const event of hello.events) addEvent(event);
    render(hello.state);
  });
  source.addEventListener('state', (message) => render(JSON.parse(message.data)));
  source.addEventListener('events', (message) => {
    for (const event of JSON.parse(message.data)) addEvent(event);
  });
  source.addEventListener('latency', (message) => addLatencies(JSON.parse(message.data)));
}

makeChart();
connect();
