// gridfirst browser UI: calls the JSON API of this server only; no other network use.
"use strict";

const PLOTLY_CONFIG = {displaylogo: false, responsive: true, typesetMath: false, topojsonURL: ""};
const state = {token: sessionStorage.getItem("gridfirst-token") || "", scenario: "example",
               markets: {}, weights: null, baseWeights: null, rank: null, events: null,
               rankSeq: 0};

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => (
  {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const fmt = (v, digits = 3) => (typeof v === "number" && isFinite(v))
  ? (Math.abs(v) >= 1000 ? v.toLocaleString("en", {maximumFractionDigits: 0})
                         : Number(v.toPrecision(digits)).toString()) : esc(v);

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  const response = await fetch(path, {method: options.method || (options.body !== undefined ? "POST" : "GET"),
    headers, body: options.body !== undefined ? JSON.stringify(options.body) : undefined});
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = {error: text}; }
  if (!response.ok) {
    const err = new Error((data && data.error) || response.statusText);
    err.status = response.status; err.problems = data && data.problems;
    throw err;
  }
  return data;
}

function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  const lines = [err.message].concat(err.problems && err.problems.length > 1 ? err.problems : []);
  box.textContent = lines.join("\n");
  box.hidden = false;
}

// -- tabs (arrow keys move between them, as in the WAI-ARIA tabs pattern) ----------------------
function selectTab(tab) {
  for (const t of document.querySelectorAll("[role=tab]")) {
    const on = t === tab;
    t.setAttribute("aria-selected", on ? "true" : "false");
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
  window.dispatchEvent(new Event("resize"));  // plotly figures fit their now visible box
}
function setupTabs() {
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (e) => {
      const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (step) { e.preventDefault(); selectTab(tabs[(i + step + tabs.length) % tabs.length]); }
    });
  });
}

// -- log-in ------------------------------------------------------------------------------------
async function login(event) {
  if (event) event.preventDefault();
  const given = $("token").value.trim() || state.token;
  state.token = given;
  try {
    await api("/api/auth");
    sessionStorage.setItem("gridfirst-token", given);
    $("login-state").textContent = "logged in";
    showError(null);
  } catch (err) {
    state.token = "";
    sessionStorage.removeItem("gridfirst-token");
    $("login-state").textContent = "read-only";
    showError(err);
  }
}

// -- scenarios ---------------------------------------------------------------------------------
async function loadScenarios(select) {
  const names = await api("/api/scenarios");
  const pick = $("scenario");
  pick.innerHTML = names.map((n) => `<option>${esc(n)}</option>`).join("");
  pick.value = names.includes(select) ? select : state.scenario;
  state.scenario = pick.value;
}
async function scenarioChanged() {
  state.scenario = $("scenario").value;
  state.weights = null;
  showError(null);
  await Promise.all([loadMarkets(), rank(), showScenario()]);
}
async function showScenario() {
  const s = await api(`/api/scenarios/${encodeURIComponent(state.scenario)}`);
  $("scenario-yaml").textContent = s.yaml;
}
async function upload(event) {
  event.preventDefault();
  const file = $("upload-file").files[0];
  const name = $("upload-name").value.trim();
  if (!file) return;
  $("upload-result").textContent = "";
  const text = await file.text();
  let s;
  try {
    s = await api("/api/scenarios", {body: {name, yaml: text}});
  } catch (err) {
    showError(err);
    return;
  }
  showError(null);
  // the message appears once the page shows the stored scenario, so what it says is on screen
  try {
    await loadScenarios(name);
    await scenarioChanged();
  } catch (err) {
    showError(err);
  }
  $("upload-result").innerHTML = `<span class="ok">${esc(name)} stored: ${s.markets} markets, ${s.sites} sites, ${esc(s.horizon)}</span>`;
}

// -- markets, map and ranking ------------------------------------------------------------------
async function loadMarkets() {
  const list = await api(`/api/markets?scenario=${encodeURIComponent(state.scenario)}`);
  state.markets = Object.fromEntries(list.map((m) => [m.id, m]));
  const options = list.map((m) => `<option value="${esc(m.id)}">${esc(m.name)} (${esc(m.id)})</option>`).join("");
  $("market-pick").innerHTML = options;
  const s = await api(`/api/scenarios/${encodeURIComponent(state.scenario)}`);
  const sites = s.site_ids || [];
  $("procure-site").innerHTML = sites.map((id) => `<option value="${esc(id)}">site ${esc(id)}</option>`).join("") + options;
}

function weightSliders(weights) {
  const box = $("weights");
  box.innerHTML = "";
  for (const [name, value] of Object.entries(weights)) {
    const id = `w-${name}`;
    const label = document.createElement("label");
    label.htmlFor = id; label.textContent = name.replace(/_/g, " ");
    const input = document.createElement("input");
    Object.assign(input, {type: "range", id, min: "0", max: "0.5", step: "0.005", value: String(value)});
    input.dataset.criterion = name;
    const out = document.createElement("output");
    out.htmlFor = id; out.value = Number(value).toFixed(3);
    let timer = null;
    input.addEventListener("input", () => {
      out.value = Number(input.value).toFixed(3);
      state.weights[name] = Number(input.value);
      clearTimeout(timer);
      timer = setTimeout(rank, 120);
    });
    box.append(label, input, out);
  }
}

async function rank() {
  const seq = ++state.rankSeq;
  const body = {scenario: state.scenario, profile: $("profile").value, samples: 300, top: 100};
  if (state.weights) body.weights = state.weights;
  let r;
  try { r = await api("/api/rank", {body}); } catch (err) { showError(err); return; }
  if (seq !== state.rankSeq) return;  // a newer request is on its way
  state.rank = r;
  if (!state.weights) {
    state.weights = Object.assign({}, r.weights);
    state.baseWeights = Object.assign({}, r.weights);
    weightSliders(r.weights);
  }
  const k = r.sensitivity ? r.sensitivity.top_k : 3;
  $("rank-note").textContent = `${r.profile}, ${r.method}/${r.normalisation}` +
    (r.sensitivity ? `; P(top ${k}) from ${r.sensitivity.samples} weight samples` : "");
  const rows = r.markets.map((m) => {
    const top = Object.entries(m.contributions).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, 2)
      .map(([n, v]) => `${esc(n)} ${v >= 0 ? "+" : ""}${v.toFixed(3)}`).join(", ");
    const p = m[`p_top_${k}`];
    return `<tr class="clickable" tabindex="0" data-market="${esc(m.market_id)}"><td class="num">${m.rank}</td>` +
      `<td>${esc(m.market_id)}</td><td class="num">${m.score.toFixed(4)}</td>` +
      `<td class="num">${p === undefined ? "" : p.toFixed(3)}</td>` +
      `<td class="num">${m.rank_probabilities ? m.rank_probabilities[0].toFixed(3) : ""}</td><td>${top}</td></tr>`;
  });
  $("ranking").tBodies[0].innerHTML = rows.join("");
  for (const tr of $("ranking").tBodies[0].rows) {
    const open = () => openMarket(tr.dataset.market);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  }
  $("screened").innerHTML = (r.screened_out || []).map((s) => `<li>${esc(s.market_id)}: ${esc(s.rule)}</li>`).join("") || "<li>none</li>";
  drawMap(r);
}

function drawMap(r) {
  const ranked = r.markets.filter((m) => state.markets[m.market_id]);
  const out = (r.screened_out || []).filter((s) => state.markets[s.market_id]);
  const pos = (id) => state.markets[id];
  const traces = [{
    type: "scattergeo", mode: "markers", name: "ranked",
    lon: ranked.map((m) => pos(m.market_id).longitude), lat: ranked.map((m) => pos(m.market_id).latitude),
    text: ranked.map((m) => `${m.rank}. ${pos(m.market_id).name}<br>score ${m.score.toFixed(3)}`),
    hoverinfo: "text",
    marker: {size: 12, color: ranked.map((m) => m.score), colorscale: "Viridis", showscale: true,
             colorbar: {title: {text: "score"}}, line: {width: 1, color: "#333"}},
  }, {
    type: "scattergeo", mode: "markers", name: "screened out",
    lon: out.map((s) => pos(s.market_id).longitude), lat: out.map((s) => pos(s.market_id).latitude),
    text: out.map((s) => `${pos(s.market_id).name}: ${s.rule}`), hoverinfo: "text",
    marker: {size: 9, color: "#999", symbol: "x"},
  }];
  const lons = ranked.map((m) => pos(m.market_id).longitude);
  const lats = ranked.map((m) => pos(m.market_id).latitude);
  const geo = {showland: true, landcolor: "#eceae4", showcountries: true, countrycolor: "#bbb",
               projection: {type: "natural earth"}};
  if (lons.length) {
    geo.lonaxis = {range: [Math.min(...lons) - 15, Math.max(...lons) + 15]};
    geo.lataxis = {range: [Math.min(...lats) - 12, Math.max(...lats) + 12]};
  }
  Plotly.react("map", traces, {geo, margin: {l: 0, r: 0, t: 0, b: 0}, height: 360,
                               legend: {orientation: "h"}}, PLOTLY_CONFIG);
}

async function openMarket(id) {
  $("market-pick").value = id;
  selectTab($("tab-market"));
  await showMarket(id);
}
async function showMarket(id) {
  try {
    const m = await api(`/api/markets/${encodeURIComponent(id)}`);
    $("market-title").textContent = `${m.market.name} (${m.market.id}, ${m.market.country})`;
    $("market-fields").tBodies[0].innerHTML = m.fields.map((f) => `<tr><td>${esc(f.field)}</td>` +
      `<td class="num">${fmt(f.value, 4)}</td><td>${f.url ? `<a href="${esc(f.url)}" rel="noopener noreferrer" target="_blank">${esc(f.source)}</a>` : esc(f.source)}</td>` +
      `<td>${esc(f.data_year)}</td><td>${esc(f.note)}</td></tr>`).join("");
  } catch (err) {
    $("market-title").textContent = id;
    $("market-fields").tBodies[0].innerHTML = `<tr><td colspan="5">${esc(err.message)}</td></tr>`;
  }
  await explainMarket(id);
  try {
    const rows = await api(`/api/markets/${encodeURIComponent(id)}/supply`);
    $("market-supply").tBodies[0].innerHTML = rows.map((r) => `<tr><td>${esc(r.option)}</td><td>${esc(r.kind)}</td>` +
      `<td>${esc(r.contract)}</td><td>${r.allowed ? "yes" : "no: " + esc(r.legal_basis)}</td>` +
      `<td class="num">${fmt(r.max_mw)}</td><td>${esc(r.earliest_year)}</td>` +
      `<td>${esc(r.source_publisher)}: ${esc(r.source_title)} (${esc(r.source_year)})</td></tr>`).join("");
  } catch (err) {
    $("market-supply").tBodies[0].innerHTML = `<tr><td colspan="7">${esc(err.message)}</td></tr>`;
  }
}

async function explainMarket(id) {
  const out = state.rank && (state.rank.screened_out || []).find((s) => s.market_id === id);
  if (out || !state.rank || !state.rank.markets.some((m) => m.market_id === id)) {
    $("market-why").textContent = out ? `Screened out: ${out.rule}` : "Not ranked in this scenario.";
    $("market-contrib").tBodies[0].innerHTML = "";
    return;
  }
  const body = {scenario: state.scenario, profile: $("profile").value, samples: 300, top: 100, explain: id};
  if (state.weights) body.weights = state.weights;
  try {
    const e = (await api("/api/rank", {body})).explanation;
    const swap = (side, verb) => {
      const s = e["swap_" + side];
      return s ? `${verb} ${esc(s.neighbour || "")} by moving ${esc(s.criterion)} ${s.weight.toFixed(3)} to ${s.new_weight.toFixed(3)}` : "";
    };
    $("market-why").innerHTML = `Rank ${e.rank}, score ${e.score.toFixed(4)} (${esc(e.method)}). ` +
      [swap("above", "Overtakes"), swap("below", "Is overtaken by")].filter(Boolean).join("; ");
    $("market-contrib").tBodies[0].innerHTML = e.contributions.map((c) => `<tr><td>${esc(c.criterion)}</td>` +
      `<td class="num">${fmt(c.value, 4)}</td><td>${esc(c.unit)}</td><td class="num">${fmt(c.weight, 3)}</td>` +
      `<td class="num">${fmt(c.normalised, 3)}</td><td class="num">${fmt(c.contribution, 3)}</td></tr>`).join("");
  } catch (err) {
    $("market-why").textContent = err.message;  // e.g. screened out by the policy
    $("market-contrib").tBodies[0].innerHTML = "";
  }
}

// -- site procurement --------------------------------------------------------------------------
function kpis(box, items) {
  $(box).innerHTML = items.map(([label, value]) => `<div class="kpi"><div class="v">${value}</div><div class="l">${esc(label)}</div></div>`).join("");
}
async function procure(event) {
  event.preventDefault();
  const body = {scenario: state.scenario, site: $("procure-site").value,
                load_mw: Number($("procure-load").value) || 100, dispatch_hours: 168};
  if ($("procure-target").value !== "") body.cfe_target = Number($("procure-target").value);
  kpis("procure-kpis", [["solving", "..."]]);
  let r;
  try { r = await api("/api/procure", {body}); showError(null); } catch (err) { showError(err); kpis("procure-kpis", []); return; }
  kpis("procure-kpis", [["USD/MWh", fmt(r.cost_usd_per_mwh, 4)], ["CFE achieved", fmt(r.cfe_score, 3)],
    ["CFE target", fmt(r.cfe_target, 3)], ["target met", r.cfe_target_met ? "yes" : "no"],
    ["emissions tCO2/yr", fmt(r.emissions_tco2)]]);
  const d = r.dispatch;
  const series = Object.keys(d).filter((k) => k !== "time" && d[k].some((v) => Math.abs(v) > 1e-6));
  const traces = series.map((k) => ({type: "scatter", mode: "lines", name: k, x: d.time, y: d[k],
                                     line: {width: k.startsWith("load") ? 2.5 : 1.2}}));
  Plotly.react("dispatch", traces, {height: 360, margin: {l: 50, r: 10, t: 10, b: 40},
    yaxis: {title: {text: "MW"}}, legend: {orientation: "h"}}, PLOTLY_CONFIG);
  const rows = r.supply || [];
  const cols = rows.length ? Object.keys(rows[0]) : [];
  $("procure-supply").tHead.innerHTML = `<tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
  $("procure-supply").tBodies[0].innerHTML = rows.map((row) => `<tr>${cols.map((c) => `<td class="${typeof row[c] === "number" ? "num" : ""}">${fmt(row[c], 4)}</td>`).join("")}</tr>`).join("");
}

// -- jobs and the plan -------------------------------------------------------------------------
async function startJob(event) {
  event.preventDefault();
  const kind = $("job-kind").value;
  const body = {kind, scenario: state.scenario};
  if (kind === "plan") body.risk_samples = Number($("job-risk").value) || 0;
  else body.samples = Math.max(1, Number($("job-risk").value) || 1000);
  try {
    const job = await api("/api/jobs", {body});
    showError(null);
    await listJobs();
    watch(job.id);
  } catch (err) { showError(err); }
}

function jobRow(j) {
  const done = j.status === "done", live = j.status === "queued" || j.status === "running";
  return `<tr data-job="${esc(j.id)}"><td>${esc(j.id)}</td><td>${esc(j.kind)}</td><td>${esc(j.scenario)}</td>` +
    `<td class="status">${esc(j.status)}${j.message ? ": " + esc(j.message) : ""}</td>` +
    `<td><progress max="1" value="${j.progress}" aria-label="progress of job ${esc(j.id)}"></progress> ` +
    `<span class="pct">${Math.round(j.progress * 100)}%</span> <span class="note">${esc(j.stage)}</span></td>` +
    `<td>${live ? `<button type="button" class="cancel" data-job="${esc(j.id)}">Cancel</button>` : ""}` +
    `${done ? `<button type="button" class="open" data-job="${esc(j.id)}" data-kind="${esc(j.kind)}">Open result</button>` : ""}</td></tr>`;
}
async function listJobs() {
  const jobs = await api("/api/jobs");
  $("jobs").tBodies[0].innerHTML = jobs.map(jobRow).join("");
}
function watch(id) {
  if (state.events) state.events.close();
  const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
  state.events = source;
  const update = (e) => {
    const j = JSON.parse(e.data);
    const row = document.querySelector(`#jobs tr[data-job="${CSS.escape(j.id)}"]`);
    if (row) row.outerHTML = jobRow(j);
  };
  source.addEventListener("progress", update);
  source.addEventListener("end", (e) => { update(e); source.close(); state.events = null; });
  source.onerror = () => { source.close(); };
}
async function jobsClick(e) {
  const button = e.target.closest("button");
  if (!button) return;
  const id = button.dataset.job;
  try {
    if (button.classList.contains("cancel")) { await api(`/api/jobs/${id}/cancel`, {body: {}}); }
    if (button.classList.contains("open")) { await openResult(id, button.dataset.kind); }
    showError(null);
  } catch (err) { showError(err); }
}
async function openResult(id, kind) {
  const r = await api(`/api/jobs/${encodeURIComponent(id)}/result`);
  $("plan-view").hidden = false;
  if (kind !== "plan") {
    $("plan-title").textContent = `Risk of ${r.scenario}: ${r.samples} futures (seed ${r.seed})`;
    const cols = [["candidate", "plan"], ["planned_cost_usd", "planned USD"], ["cost_mean_usd", "mean USD"],
      ["cost_p90_usd", "P90 USD"], ["cost_cvar95_usd", "CVaR95 USD"], ["shortfall_mean_mw_years", "shortfall MW-yr"],
      ["probability_all_years_met", "P(all years met)"]];
    $("plan-kpis").innerHTML = `<table><thead><tr>${cols.map(([, h]) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>` +
      (r.candidates || []).map((c) => `<tr>${cols.map(([k]) => `<td class="${typeof c[k] === "number" ? "num" : ""}">${fmt(c[k], 4)}</td>`).join("")}</tr>`).join("") +
      "</tbody></table>";
    for (const id of ["plan-map", "plan-builds", "plan-demand"]) Plotly.purge(id);
    $("plan-shortfalls").tBodies[0].innerHTML = "";
    $("plan-report").href = `/api/jobs/${encodeURIComponent(id)}/files/risk.json`;
    return;
  }
  $("plan-title").textContent = `Plan ${r.scenario} (${r.status})`;
  kpis("plan-kpis", [["total cost NPV USD", fmt(r.total_cost_usd)], [`IT MW online ${r.horizon.end_year}`, fmt(r.online_mw_end)],
    ["unmet MW-years", fmt(r.shortfall_mw_years)], ["chosen sites", esc(r.chosen_sites.join(", ") || "none")]]);
  await drawPlanMap(r);
  const bySite = {};
  for (const b of r.builds) { (bySite[b.site] = bySite[b.site] || {x: [], y: []}); bySite[b.site].x.push(b.year); bySite[b.site].y.push(b.online_mw); }
  Plotly.react("plan-builds", Object.entries(bySite).map(([site, v]) => ({type: "bar", name: site, x: v.x, y: v.y})),
    {barmode: "stack", height: 320, margin: {l: 50, r: 10, t: 10, b: 40}, yaxis: {title: {text: "MW"}}}, PLOTLY_CONFIG);
  const years = [...new Set(r.allocation.map((a) => a.year).concat(r.builds.map((b) => b.year)))].sort();
  const sum = (rows, key, year) => rows.filter((x) => x.year === year).reduce((s, x) => s + (x[key] || 0), 0);
  const served = years.map((y) => sum(r.allocation, Object.keys(r.allocation[0] || {}).find((k) => k.endsWith("mw")) || "mw", y));
  const unmet = years.map((y) => sum(r.shortfalls, "mw", y));
  Plotly.react("plan-demand", [
    {type: "bar", name: "served", x: years, y: served},
    {type: "bar", name: "unmet", x: years, y: unmet, marker: {color: "#D55E00"}},
    {type: "scatter", mode: "lines+markers", name: "online capacity", x: years, y: years.map((y) => sum(r.builds, "online_mw", y))},
  ], {barmode: "stack", height: 320, margin: {l: 50, r: 10, t: 10, b: 40}, yaxis: {title: {text: "MW"}}}, PLOTLY_CONFIG);
  $("plan-shortfalls").tBodies[0].innerHTML = r.shortfalls.map((s) => `<tr><td>${esc(s.region)}</td><td>${esc(s.year)}</td><td>${esc(s.workload)}</td>` +
    `<td class="num">${fmt(s.mw)}</td><td>${esc(s.binding)}</td><td>${esc(s.explanation)}</td></tr>`).join("") || `<tr><td colspan="6">none</td></tr>`;
  $("plan-report").href = `/api/jobs/${encodeURIComponent(id)}/files/report.html`;
  $("plan-title").scrollIntoView();
}

async function drawPlanMap(r) {
  const s = await api(`/api/scenarios/${encodeURIComponent(state.scenario)}`);
  const where = s.places.candidates, regions = s.places.regions;
  const traces = [];
  for (const [site, rtts] of Object.entries(r.latency_ms || {})) {
    if (!where[site]) continue;
    for (const [region, rtt] of Object.entries(rtts)) {
      if (!regions[region] || rtt === null) continue;
      traces.push({type: "scattergeo", mode: "lines", showlegend: false, hoverinfo: "text",
        lat: [where[site][0], regions[region][0]], lon: [where[site][1], regions[region][1]],
        text: `${site} to ${region}: ${Number(rtt).toFixed(1)} ms`, line: {width: 1.5, color: "#0072B2"}});
    }
  }
  const chosen = r.chosen_sites.filter((c) => where[c]);
  traces.push({type: "scattergeo", mode: "markers+text", name: "chosen sites", text: chosen,
    textposition: "top center", lat: chosen.map((c) => where[c][0]), lon: chosen.map((c) => where[c][1]),
    marker: {size: 13, color: "#D55E00", line: {width: 1, color: "#333"}}});
  const ids = Object.keys(regions);
  traces.push({type: "scattergeo", mode: "markers", name: "demand regions", text: ids, hoverinfo: "text",
    lat: ids.map((i) => regions[i][0]), lon: ids.map((i) => regions[i][1]),
    marker: {size: 9, color: "#009E73", symbol: "diamond"}});
  Plotly.react("plan-map", traces, {geo: {showland: true, landcolor: "#eceae4", showcountries: true,
    countrycolor: "#bbb", projection: {type: "natural earth"}, fitbounds: "locations"},
    margin: {l: 0, r: 0, t: 0, b: 0}, height: 340, legend: {orientation: "h"}}, PLOTLY_CONFIG);
}

// -- start -------------------------------------------------------------------------------------
async function main() {
  setupTabs();
  $("login").addEventListener("submit", login);
  $("scenario").addEventListener("change", scenarioChanged);
  $("profile").addEventListener("change", () => { state.weights = null; rank(); });
  $("reset-weights").addEventListener("click", () => { state.weights = null; rank(); });
  $("market-pick").addEventListener("change", () => showMarket($("market-pick").value));
  $("procure-form").addEventListener("submit", procure);
  $("job-form").addEventListener("submit", startJob);
  $("jobs").addEventListener("click", jobsClick);
  $("upload-form").addEventListener("submit", upload);
  if (state.token) { $("login-state").textContent = "logged in"; }
  try {
    await loadScenarios("example");
    await Promise.all([loadMarkets(), rank(), listJobs(), showScenario()]);
    await showMarket($("market-pick").value);
  } catch (err) { showError(err); }
}
document.addEventListener("DOMContentLoaded", main);
