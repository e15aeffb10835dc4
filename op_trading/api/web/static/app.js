// OP Trading dashboard: reads /api/v1 and the WebSocket streams; draws with Plotly (served by the product itself).
// Data never becomes HTML: every value goes through textContent.
"use strict";

const API = "/api/v1";
const INDICES = ["NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"];
const $ = (id) => document.getElementById(id);

function num(value, decimals = 2, signed = false) {
  if (value === null || value === undefined || !isFinite(value)) return "n/a";
  const text = Number(value).toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return signed && value > 0 ? "+" + text : text;
}
const pct = (v, d = 1, s = false) => (num(v, d, s) === "n/a" ? "n/a" : num(v, d, s) + "%");
const vol = (iv, signed = false) => (iv === null || iv === undefined ? "n/a" : num(iv * 100, 2, signed));
const time = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) + " IST" : "n/a");
const clock = (iso) => (iso ? iso.slice(11, 19) : "");

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function status(text, error = false) {
  const line = $("status");
  line.textContent = text;
  line.className = error ? "status error" : "status";
}

function showSource(data) {
  const badge = $("source");
  const source = data.source || "none";
  badge.textContent = source === "mock" ? "source: MOCK DATA (simulator)" : "source: " + source;
  badge.className = "source " + source;
  status("Data as of " + time(data.as_of) + (data.market_note ? " · " + data.market_note : ""));
}

function cell(row, text, className = "") {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillTable(id, rows, columns) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const item of rows) {
    const row = body.insertRow();
    for (const [value, className] of columns(item)) cell(row, value, className || "");
  }
}

// plotly.min.js is large: it is loaded once, after the page's numbers are on screen (first paint never waits for it).
let plotlyLoading = null;
const drawing = [];
function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = document.body.dataset.plotly;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("chart library not loaded (plotly.min.js)"));
      document.head.appendChild(script);
    });
  }
  return plotlyLoading;
}

function draw(id, traces, layout = {}) {
  // a right-hand axis needs room for its numbers (else they are clipped to "25.")
  const base = { margin: { t: 36, r: layout.yaxis2 ? 64 : 16, b: 40, l: 56 }, legend: { orientation: "h" },
    font: { size: 12 } };
  const done = loadPlotly()
    .then((Plotly) => Plotly.react($(id), traces, Object.assign(base, layout),
      { displaylogo: false, responsive: true }))
    .catch((error) => status(error.message, true));
  drawing.push(done);
  return done;
}

function fillSelect(id, values, selected) {
  const select = $(id);
  const keep = select.querySelector("option[value='']");
  select.replaceChildren(...(keep ? [keep] : []));
  for (const value of values) {
    const option = new Option(value, value, false, value === selected);
    select.add(option);
  }
}

function streamSocket(name, onMessage) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let socket;
  const open = () => {
    socket = new WebSocket(scheme + location.host + "/ws/" + name);
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = () => setTimeout(open, 3000);  // the service restarting, or this client dropped: try again
  };
  open();
}

function alertItem(item) {
  const li = document.createElement("li");
  li.className = item.severity;
  li.textContent = time(item.time) + " · " + item.severity.toUpperCase() + " · " + item.message;
  li.dataset.type = item.type;
  return li;
}

function alertsFeed() {
  const feed = $("alerts-feed");
  streamSocket("alerts", (message) => {
    if (message.kind === "snapshot") {
      feed.replaceChildren(...message.data.items.map(alertItem));
      if (!message.data.items.length) feed.dataset.empty = "no alerts in the last 24 hours";
    } else {
      feed.prepend(alertItem(message.data));
      feed.dataset.updates = String(Number(feed.dataset.updates || 0) + 1);
    }
  });
}

// ---- pages ------------------------------------------------------------------------------------------------------
function renderOverview(data) {
  showSource(data);
  $("market").textContent = data.market_note + (data.vix !== null ? " · India VIX " + num(data.vix) : "") +
    " · alerts today: " + data.alerts_today;
  fillTable("overview", data.indices, (s) => [
    [s.index, "text"], [num(s.spot)], [pct(s.change_pct, 2, true), s.change_pct > 0 ? "up" : s.change_pct < 0 ? "down" : ""],
    [num(s.atm_strike, 0)], [s.bucket || "n/a", "text"], [num(s.straddle)], [num(s.straddle_weekday_avg)],
    [pct(s.straddle_vs_avg_pct, 1, true)], [num(s.pcr_oi_chain)], [num(s.pcr_oi_atm_legs)], [num(s.max_pain, 0)],
    [vol(s.atm_iv)], [vol(s.iv_day_change, true)], [pct(s.iv_percentile, 0)], [clock(s.chain_as_of) + (s.chain_basis ? " (" + s.chain_basis + ")" : "")],
  ]);
}

async function overviewPage() {
  renderOverview(await api(API + "/overview"));
  const breadth = await api(API + "/analytics/market-breadth");
  $("breadth").textContent = breadth.name + ": " + breadth.advances + " up, " + breadth.declines + " down, " +
    breadth.unchanged + " unchanged (" + breadth.label + ") · volatility regime " + breadth.regime;
  streamSocket("cycles", (message) => renderOverview(message.data));
  alertsFeed();
}

function chainSide(row, side, itm, cells) {
  for (const [value, extra] of cells) cell(row, value, (itm ? "itm " : "") + (extra || ""));
}

async function chainPage() {
  fillSelect("index", INDICES, new URLSearchParams(location.search).get("index") || "NIFTY");
  const load = async () => {
    const index = $("index").value, expiry = $("expiry").value, strikes = $("strikes").value || "10";
    const query = new URLSearchParams({ strikes });
    if (expiry) query.set("expiry", expiry);
    let chain;
    try { chain = await api(API + "/options/" + index + "?" + query); } catch (error) { status(error.message, true); return; }
    showSource(chain);
    fillSelect("expiry", chain.expiries, chain.expiry);
    $("chain-summary").textContent = index + " " + chain.expiry + " (" + chain.buckets.join(", ") + ") · snapshot " +
      time(chain.as_of) + " · spot " + num(chain.spot) + " · ATM " + num(chain.atm_strike, 0) + " · max pain " +
      num(chain.max_pain, 0) + " · PCR OI " + num(chain.pcr_oi) + " · PCR volume " + num(chain.pcr_volume) + " · model " + chain.model;
    const body = $("chain").tBodies[0];
    body.replaceChildren();
    for (const r of chain.rows) {
      const row = body.insertRow();
      if (r.atm) row.className = "atm";
      const c = r.call || {}, p = r.put || {};
      const sideCells = (s) => [[s.buildup || ""], [num(s.vega)], [num(s.theta)], [num(s.gamma, 5)], [num(s.delta, 3)],
        [vol(s.iv)], [num(s.volume, 0)], [num(s.oi_change_prev_close, 0, true)], [num(s.oi_change_day, 0, true)], [num(s.oi, 0)],
        [num(s.ltp) + " (" + num(s.bid) + "/" + num(s.ask) + ")"]];
      chainSide(row, "call", c.itm, sideCells(c));
      const marks = [r.atm ? "ATM" : "", r.max_pain ? "MaxPain" : ""].filter(Boolean).join(" ");
      cell(row, num(r.strike, 0) + (marks ? " " + marks : ""), "strike");
      chainSide(row, "put", p.itm, sideCells(p).reverse());
    }
    const strikes_ = chain.rows.map((r) => r.strike);
    const pick = (side, key) => chain.rows.map((r) => (r[side] ? r[side][key] : null));
    const marks = { shapes: [{ type: "line", x0: chain.spot, x1: chain.spot, yref: "paper", y0: 0, y1: 1, line: { dash: "dot" } }] };
    draw("oi-chart", [{ type: "bar", name: "Call OI", x: strikes_, y: pick("call", "oi") },
      { type: "bar", name: "Put OI", x: strikes_, y: pick("put", "oi") }], Object.assign({ title: { text: "OI by strike (dotted: spot)" } }, marks));
    const minutes = $("window").value;
    if (!minutes) {
      draw("oi-change-chart", [{ type: "bar", name: "Call OI chg (day)", x: strikes_, y: pick("call", "oi_change_day") },
        { type: "bar", name: "Put OI chg (day)", x: strikes_, y: pick("put", "oi_change_day") }],
        Object.assign({ title: { text: "Change in OI since the open" } }, marks));
      return;
    }
    const window_ = await api(API + "/series/oi-change?" + new URLSearchParams({ index, expiry: chain.expiry, window: minutes }));
    const shown = window_.rows.filter((r) => r.strike >= strikes_[0] && r.strike <= strikes_[strikes_.length - 1]);
    draw("oi-change-chart", [{ type: "bar", name: "Call OI chg", x: shown.map((r) => r.strike), y: shown.map((r) => r.call_change) },
      { type: "bar", name: "Put OI chg", x: shown.map((r) => r.strike), y: shown.map((r) => r.put_change) }],
      Object.assign({ title: { text: window_.since ? "Change in OI since " + clock(window_.since) + " (" + minutes + " min window)"
        : "No snapshot " + minutes + " min old kept yet" } }, marks));
  };
  for (const id of ["index", "expiry", "strikes", "window"]) $(id).addEventListener("change", () => {
    if (id === "index") $("expiry").value = "";
    load();
  });
  await load();
}

async function chartsPage() {
  fillSelect("index", INDICES, "NIFTY");
  const load = async () => {
    const query = new URLSearchParams({ index: $("index").value });
    if ($("bucket").value) query.set("bucket", $("bucket").value);
    const day = await api(API + "/series/intraday?" + query);
    showSource(day);
    const t = day.times, v = day.values;
    const line = (name, y, extra = {}) => Object.assign({ type: "scatter", mode: "lines+markers", name, x: t, y }, extra);
    const noAverage = !(v.premium_weekday_avg || []).some((x) => x !== null);
    draw("premium-chart", [line("Straddle (CE+PE)", v.total_premium), line("Weekday-and-time average", v.premium_weekday_avg, { line: { dash: "dash" } })],
      { title: { text: "Straddle vs weekday average" + (noAverage ? " (no earlier weeks stored yet)" : "") } });
    draw("pcr-chart", [line("PCR (OI)", v.pcr_oi), line("PCR (volume)", v.pcr_volume)], { title: { text: "PCR over the chain" } });
    draw("maxpain-chart", [line("Max pain", v.max_pain), line("Spot", v.spot)], { title: { text: "Max pain vs spot" } });
    draw("iv-chart", [line("ATM IV (vol points)", (v.atm_iv || []).map((x) => (x === null ? null : x * 100)))],
      { title: { text: "ATM IV" } });
    query.set("days", $("days").value || "20");
    const days = await api(API + "/series/daily?" + query);
    const dates = days.times.map((iso) => iso.slice(0, 10));
    const dl = (name, y, extra = {}) => Object.assign({ type: "scatter", mode: "lines+markers", name, x: dates, y }, extra);
    const byDay = { xaxis: { type: "category" } };
    draw("daily-pcr-chart", [dl("PCR (OI)", days.values.pcr_oi), dl("Max pain (right axis)", days.values.max_pain, { yaxis: "y2" })],
      Object.assign({ title: { text: "Daily PCR and max pain" }, yaxis2: { overlaying: "y", side: "right" } }, byDay));
    draw("daily-iv-chart", [dl("ATM IV (vol points)", (days.values.atm_iv || []).map((x) => (x === null ? null : x * 100))),
      dl("IV percentile % (right axis)", days.values.iv_percentile, { yaxis: "y2" })],
      Object.assign({ title: { text: "Daily ATM IV and IV percentile" }, yaxis2: { overlaying: "y", side: "right", range: [0, 100] } }, byDay));
  };
  for (const id of ["index", "bucket", "days"]) $(id).addEventListener("change", load);
  await load();
}

async function volatilityPage() {
  const data = await api(API + "/analytics/volatility");
  showSource(data);
  $("regime").textContent = "Volatility regime: " + data.regime + " (" + data.regime_basis + ") · India VIX " + num(data.vix) +
    (data.vix_percentile !== null ? " · VIX percentile " + pct(data.vix_percentile, 0) : "");
  const rows = data.indices.flatMap((i) => i.buckets.map((b) => Object.assign({ index: i.index }, b)));
  fillTable("vol", rows, (r) => [[r.index, "text"], [r.bucket, "text"], [r.expiry || "n/a", "text"], [vol(r.atm_iv)],
    [vol(r.iv_day_change, true)], [vol(r.iv_skew, true)], [pct(r.iv_percentile, 0)], [pct(r.iv_rank, 0)], [r.basis || "", "text"], [clock(r.as_of)]]);
  draw("term-chart", data.indices.map((i) => ({ type: "scatter", mode: "lines+markers", name: i.index,
    x: i.buckets.map((b) => b.bucket), y: i.buckets.map((b) => (b.atm_iv === null ? null : b.atm_iv * 100)) })),
    { title: { text: "Term structure: ATM IV by expiry bucket (vol points)" } });
  draw("skew-chart", [{ type: "bar", name: "Skew (put - call IV, vol points)", x: data.indices.map((i) => i.index),
    y: data.indices.map((i) => (i.buckets[0] && i.buckets[0].iv_skew !== null ? i.buckets[0].iv_skew * 100 : null)) }],
    { title: { text: "Skew of the nearest expiry" } });
}

async function participantsPage() {
  const load = async () => {
    const data = await api(API + "/participants?days=" + ($("days").value || "20"));
    showSource(data);
    const measure = $("measure").value;
    draw("positions-chart", data.categories.map((category) => {
      const rows = data.positions.filter((p) => p.category === category);
      return { type: "scatter", mode: "lines+markers", name: category, x: rows.map((p) => p.day), y: rows.map((p) => p[measure]) };
    }), { title: { text: "Net index positions by participant (contracts): " + $("measure").selectedOptions[0].text },
      xaxis: { type: "category" } });  // trading days only: no empty weekends
    draw("cash-chart", ["FII", "DII"].map((category) => {
      const rows = data.cash.filter((c) => c.category === category);
      return { type: "bar", name: category + " net cash", x: rows.map((c) => c.day), y: rows.map((c) => c.net_crore) };
    }), { title: { text: "FII / DII cash, net ₹ crore" }, xaxis: { type: "category" } });
    fillTable("positions", data.positions.slice().reverse(), (p) => [[p.day, "text"], [p.category, "text"], [num(p.fut_net, 0, true)],
      [num(p.fut_net_change, 0, true)], [num(p.call_net, 0, true)], [num(p.put_net, 0, true)], [pct(p.fut_long_pct)], [p.sentiment, "text"]]);
    if (!data.positions.length) status("No participant files imported yet (Production > Participant analysis).");
  };
  for (const id of ["days", "measure"]) $(id).addEventListener("change", load);
  await load();
}

async function flowsPage() {
  let timeframe = new URLSearchParams(location.search).get("timeframe") || "5m";
  const load = async () => {
    const data = await api(API + "/analytics/cash-flows?timeframe=" + timeframe + "&buckets=24");
    showSource(data);
    const bar = $("timeframes");
    bar.replaceChildren(...data.timeframes.map((tf) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = tf;
      button.className = tf === timeframe ? "on" : "";
      button.addEventListener("click", () => { timeframe = tf; load(); });
      return button;
    }));
    const groups = [...new Set(data.rows.map((r) => r.group))];
    draw("flows-chart", groups.map((group) => {
      const rows = data.rows.filter((r) => r.group === group);
      return { type: "bar", name: group, x: rows.map((r) => r.start), y: rows.map((r) => r.net_crore) };
    }), { title: { text: "Net estimated flow per " + timeframe + " (₹ crore)" }, barmode: "relative" });
    fillTable("flows", data.rows.slice().reverse(), (r) => [[time(r.start), "text"], [r.group, "text"], [num(r.buying_crore)],
      [num(r.selling_crore)], [num(r.net_crore, 2, true), r.net_crore > 0 ? "up" : r.net_crore < 0 ? "down" : ""], [pct(r.pressure_pct, 0, true)]]);
  };
  await load();
}

async function alertsPage() {
  const data = await api(API + "/alerts?limit=100");
  showSource(data);
  alertsFeed();
}

const PAGES = { overview: overviewPage, chain: chainPage, charts: chartsPage, volatility: volatilityPage,
  participants: participantsPage, flows: flowsPage, alerts: alertsPage };

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  for (const link of document.querySelectorAll("nav a")) if (link.dataset.nav === page) link.className = "current";
  // ready once the numbers are shown and every chart asked for is drawn (tests and the benchmark wait for it)
  PAGES[page]().then(() => Promise.all(drawing)).then(() => { document.body.dataset.ready = "1"; })
    .catch((error) => { status(error.message, true); document.body.dataset.ready = "error"; });
});
