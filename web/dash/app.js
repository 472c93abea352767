// ot-dash's page: one WebSocket to the server, a snapshot then sequenced
// updates of the views (man ot-dash); a gap in the sequence or a reconnect
// asks for a fresh snapshot.
'use strict';

const $ = (id) => document.getElementById(id);
const INTERVAL_SECONDS = { '1s': 1, '10s': 10, '1m': 60, '5m': 300, '15m': 900, '1h': 3600 };
const st = { ws: null, seq: 0, watch: null, instrument: null, readOnly: false };

// --- rendering helpers ---
const fmt = (v, d = 8) => (v === undefined || v === null ? '' : String(+(+v).toFixed(d)));
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};
function cell(node) {
  const td = el('td');
  td.append(node);
  return td;
}
function rowsOf(tableId, rows) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = el('tr');
    for (const c of cells) tr.append(c instanceof Node ? cell(c) : el('td', c));
    return tr;
  }));
}

// --- chart ---
const chart = LightweightCharts.createChart($('chart'), {
  autoSize: true,
  layout: { background: { color: '#111' }, textColor: '#ccc' },
  grid: { vertLines: { color: '#222' }, horzLines: { color: '#222' } },
  timeScale: { timeVisible: true, secondsVisible: true },
});
const candles = chart.addCandlestickSeries();
const midLine = chart.addLineSeries({ color: '#888', lineWidth: 1, priceLineVisible: false });
let priceLines = [];
const equityChart = LightweightCharts.createChart($('equity'), {
  autoSize: true,
  layout: { background: { color: '#111' }, textColor: '#ccc' },
  grid: { vertLines: { visible: false }, horzLines: { color: '#222' } },
  timeScale: { timeVisible: true, secondsVisible: true },
});
const equityLine = equityChart.addLineSeries({ color: '#4caf50', lineWidth: 2 });
const chartOptions = {
  autoSize: true,
  layout: { background: { color: '#111' }, textColor: '#ccc' },
  grid: { vertLines: { color: '#222' }, horzLines: { color: '#222' } },
  timeScale: { timeVisible: true, secondsVisible: true },
};
const reportEquityChart = LightweightCharts.createChart($('report-equity'), chartOptions);
const reportEquity = reportEquityChart.addLineSeries({ color: '#4caf50', lineWidth: 2, title: 'equity' });
const reportDrawdown = reportEquityChart.addLineSeries({ color: '#ef5350', lineWidth: 1, title: 'drawdown',
                                                         priceScaleId: 'left' });
reportEquityChart.applyOptions({ leftPriceScale: { visible: true } });
const reportPriceChart = LightweightCharts.createChart($('report-price'), chartOptions);
const reportPrice = reportPriceChart.addLineSeries({ color: '#90caf9', lineWidth: 1 });

// A backtest report: its summary, equity and drawdown, and the first
// instrument's price with the fills marked.
function renderReport(r) {
  const summary = r.summary || {};
  rowsOf('report-summary', Object.entries(summary).filter(([, v]) => typeof v !== 'object')
    .map(([k, v]) => [k, typeof v === 'number' ? fmt(v, 6) : String(v)]));
  reportEquity.setData(r.equity.map(([t, e]) => ({ time: t, value: e })));
  reportDrawdown.setData(r.equity.map(([t, , d]) => ({ time: t, value: d })));
  const symbol = r.symbols[0];
  reportPrice.setData((r.prices[0] || []).map(([t, p]) => ({ time: t, value: p })));
  const markers = r.fills.filter((f) => f.instrument === symbol)
    .map((f) => ({ time: f.time, position: f.side === 'buy' ? 'belowBar' : 'aboveBar',
                   color: f.side === 'buy' ? '#26a69a' : '#ef5350', shape: f.side === 'buy' ? 'arrowUp' : 'arrowDown',
                   text: `${f.side} ${fmt(f.qty)}` }))
    .sort((a, b) => a.time - b.time);
  reportPrice.setMarkers(markers);
  reportEquityChart.timeScale().fitContent();
  reportPriceChart.timeScale().fitContent();
  $('reports-panel').dataset.points = r.equity.length;
  $('reports-panel').dataset.markers = markers.length;
}

function renderInstrument(inst) {
  st.instrument = inst;
  if (!inst) return;
  $('chart-title').textContent = `${inst.venue} ${inst.symbol} ${inst.interval}`;
  $('best-bid').textContent = inst.bids.length ? fmt(inst.bids[0][0]) : '-';
  $('best-ask').textContent = inst.asks.length ? fmt(inst.asks[0][0]) : '-';
  // Ladder: asks high to low above the bids, own working orders beside them.
  const own = new Map();
  for (const o of inst.orders) own.set(fmt(o.price), (own.get(fmt(o.price)) || '') + `${o.side} ${fmt(o.leaves)} `);
  const rows = [];
  for (const [px, qty] of [...inst.asks].reverse()) rows.push(['', fmt(px), fmt(qty), own.get(fmt(px)) || '', 'ask']);
  for (const [px, qty] of inst.bids) rows.push([fmt(qty), fmt(px), '', own.get(fmt(px)) || '', 'bid']);
  const body = $('ladder').tBodies[0];
  body.replaceChildren(...rows.map(([b, px, a, mine, side]) => {
    const tr = el('tr', undefined, side);
    tr.append(el('td', b), el('td', px, 'price'), el('td', a), el('td', mine, 'own'));
    tr.querySelector('.price').addEventListener('click', () => {
      const f = $('ticket');
      f.price.value = px;
      f.venue.value = inst.venue;
      f.symbol.value = inst.symbol;
    });
    return tr;
  }));
  // Candles: the forming one drawn in its own colours.
  const data = inst.candles.map((c) => ({ time: c.time, open: c.open, high: c.high, low: c.low, close: c.close }));
  if (inst.forming) {
    const f = inst.forming;
    data.push({ time: f.time, open: f.open, high: f.high, low: f.low, close: f.close,
                color: '#9e9e9e', wickColor: '#9e9e9e', borderColor: '#fdd835' });
  }
  candles.setData(data);
  midLine.setData(inst.mids.map(([t, v]) => ({ time: t, value: v })));
  const step = INTERVAL_SECONDS[inst.interval] || 60;
  const markers = inst.fills
    .map((f) => ({ time: Math.floor(f.time / step) * step, position: f.side === 'buy' ? 'belowBar' : 'aboveBar',
                   color: f.side === 'buy' ? '#26a69a' : '#ef5350', shape: f.side === 'buy' ? 'arrowUp' : 'arrowDown',
                   text: `${f.side} ${fmt(f.qty)} @ ${fmt(f.price)}` }))
    .sort((a, b) => a.time - b.time);
  candles.setMarkers(markers);
  $('chart').dataset.candles = data.length;
  $('chart').dataset.markers = markers.length;
  for (const l of priceLines) candles.removePriceLine(l);
  priceLines = inst.orders.map((o) => candles.createPriceLine({
    price: o.price, color: o.side === 'buy' ? '#26a69a' : '#ef5350', lineStyle: 2, title: `${o.side} ${fmt(o.leaves)}` }));
  rowsOf('tape', inst.tape.map((t) => [new Date(t.time).toISOString().slice(11, 23), fmt(t.price), fmt(t.qty), t.side]));
}

const render = {
  instruments(list) {
    const sel = $('instrument');
    const current = sel.value;
    sel.replaceChildren(...list.map((i) => el('option', `${i.venue} ${i.symbol}`)));
    if (current) sel.value = current;
    if (!st.watch && list.length) watch(list[0].venue, list[0].symbol);
  },
  orders(list) {
    rowsOf('orders', list.map((o) => {
      const b = el('button', 'cancel');
      b.addEventListener('click', () => send({ op: 'cancel', id: o.id }));
      return [o.id, o.venue, o.symbol, o.side, fmt(o.price), fmt(o.leaves), fmt(o.filled), o.status, b];
    }));
  },
  fills(list) {
    rowsOf('fills', [...list].reverse().map((f) => [new Date(f.time * 1000).toISOString().slice(11, 19), f.id,
      f.symbol, f.side, fmt(f.price), fmt(f.qty), f.liquidity]));
  },
  positions(p) {
    rowsOf('positions', p.positions.map((x) => [x.venue, x.symbol, fmt(x.qty), fmt(x.avg_price),
      fmt(x.pnl), fmt(x.realized_pnl), fmt(x.unrealized_pnl), fmt(x.fees)]));
    const seen = new Set();
    equityLine.setData(p.equity.map(([ns, v]) => ({ time: Math.floor(ns / 1e9), value: v }))
      .filter((pt) => !seen.has(pt.time) && seen.add(pt.time)));
  },
  greeks(list) {
    // Each underlying's numbers, then its hedge on a row of its own.
    $('greeks').tBodies[0].replaceChildren(...list.flatMap((g) => {
      const tr = el('tr');
      for (const c of [g.venue, g.underlying, fmt(g.delta, 6), fmt(g.gamma, 6), fmt(g.vega, 4), fmt(g.theta, 4)]) {
        tr.append(el('td', c));
      }
      const hedge = el('td', `hedge: ${hedgeState(g.hedge)}`, 'hedge');
      hedge.colSpan = 6;
      const below = el('tr');
      below.append(hedge);
      return [tr, below];
    }));
  },
  risk(r) {
    const k = $('kill-state');
    k.textContent = r.killed ? `kill switch ENGAGED: ${r.kill_reason}` : 'kill switch off';
    k.className = r.killed ? 'bad' : 'ok';
    $('risk').replaceChildren(...[...r.rejects].reverse().map((x) => el('p', `rejected ${x.id} ${x.symbol}: ${x.reason}`, 'reject')));
  },
  health(h) {
    $('malformed').textContent = h.malformed;
    rowsOf('health', h.venues.map((v) => [v.venue, v.connected ? 'connected' : 'disconnected', fmt(v.rate, 1),
      fmt(v.age, 1), v.gaps, v.resyncs, v.checksum_mismatches, v.disconnects]));
  },
};

// The delta hedge in one cell: target ± band, then the order working or the
// delta's place against the band, and the last hedge fill.
function hedgeState(h) {
  if (!h) return 'none';
  let s = `${h.symbol} ${fmt(h.target, 4)} ± ${fmt(h.band, 4)}: `;
  s += h.working ? `hedging, ${h.working.side} ${fmt(h.working.leaves)} working` : h.state;
  if (h.last) s += `; ${h.fills} filled, last ${h.last.side} ${fmt(h.last.qty)} @ ${fmt(h.last.price)}`;
  return s;
}

// --- the connection ---
function send(msg) {
  if (st.ws && st.ws.readyState === WebSocket.OPEN) st.ws.send(JSON.stringify(msg));
}
function watch(venue, symbol) {
  st.watch = { venue, symbol, interval: $('interval').value };
  $('instrument').value = `${venue} ${symbol}`;
  const f = $('ticket');
  f.venue.value = venue;
  f.symbol.value = symbol;
  send({ op: 'watch', ...st.watch });
}
function onMessage(m) {
  if (m.type === 'snapshot' || m.type === 'update') {
    if (m.type === 'update' && m.seq !== st.seq + 1) {
      send({ op: 'resync' });  // a gap: start again from a snapshot
      return;
    }
    st.seq = m.seq;
    if (m.reports) {
      const sel = $('report');
      sel.replaceChildren(...m.reports.map((r) => el('option', r.name)));
      if (m.reports.length && !st.report) {
        st.report = m.reports[0].name;
        send({ op: 'report', name: st.report });
      }
    }
    for (const [name, value] of Object.entries(m.views)) render[name](value);
    if ('instrument' in m) renderInstrument(m.instrument);
    document.body.dataset.seq = m.seq;
  } else if (m.type === 'report') {
    renderReport(m.data);
  } else if (m.type === 'sent' || m.type === 'refused') {
    const r = $('reply');
    r.textContent = m.type === 'sent' ? `sent ${m.op} ${m.id || m.count || ''}` : `refused ${m.op}: ${m.reason}`;
    r.className = m.type === 'sent' ? 'ok' : 'bad';
  }
}
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  st.ws = ws;
  ws.onopen = () => {
    $('conn').textContent = 'live';
    $('conn').className = 'ok';
    st.seq = 0;
    if (st.watch) send({ op: 'watch', ...st.watch });
  };
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
  ws.onclose = () => {
    $('conn').textContent = 'reconnecting';
    $('conn').className = 'bad';
    setTimeout(connect, 1000);
  };
}

// --- controls ---
$('instrument').addEventListener('change', (e) => {
  const [venue, symbol] = e.target.value.split(' ');
  watch(venue, symbol);
});
$('interval').addEventListener('change', () => st.watch && watch(st.watch.venue, st.watch.symbol));
$('ticket').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.target;
  send({ op: 'order', venue: f.venue.value, symbol: f.symbol.value, side: f.side.value, qty: f.qty.value,
         price: f.price.value, kind: f.kind.value, tif: f.tif.value, post_only: f.post_only.checked });
});
$('cancel-all').addEventListener('click', () => send({ op: 'cancel_all' }));
$('report').addEventListener('change', (e) => {
  st.report = e.target.value;
  send({ op: 'report', name: st.report });
});
$('kill').addEventListener('click', () => send({ op: 'kill' }));
$('resume').addEventListener('click', () => send({ op: 'resume' }));
connect();
