/**
 * The console's browser script, plain JS in a string (no bundler): every CONSOLE_REFRESH_MS it
 * reads /console/api/overview and redraws. Text from users (keys, errors, logs) only ever
 * reaches the page through textContent, never as HTML.
 */
export const CONSOLE_SCRIPT = String.raw`'use strict';
/** How often the page asks for fresh data, ms. */
const CONSOLE_REFRESH_MS = 2000;
/** How far back the scaler chart reaches, s. */
const HISTORY_S = 300;
const STATES = ['done', 'waiting', 'processing', 'failed', 'callback-failed'];
const SVG = 'http://www.w3.org/2000/svg';

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** pending, desired and ready of the decisions as lines over the last HISTORY_S seconds. */
function chart(history, now) {
  const width = 400, height = 120, pad = 4;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('class', 'chart');
  // Stretched to the card's width: time runs across it, whatever the screen.
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('data-points', String(history.length));
  const top = Math.max(1, ...history.map((d) => Math.max(d.pending, d.desired, d.ready)));
  // From the oldest decision kept (at most HISTORY_S back) to now: a young platform fills the width too.
  const start = history.length ? Math.max(now - HISTORY_S * 1000, history[0].at) : now - HISTORY_S * 1000;
  const span = Math.max(1000, now - start);
  const x = (at) => pad + ((at - start) / span) * (width - 2 * pad);
  const y = (value) => height - pad - (value / top) * (height - 2 * pad);
  for (const [field, colour] of [['pending', '#c33'], ['desired', '#36c'], ['ready', '#3a7']]) {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', colour);
    line.setAttribute('stroke-width', '1.5');
    line.setAttribute('data-series', field);
    line.setAttribute('points', history.map((d) => x(d.at).toFixed(1) + ',' + y(d[field]).toFixed(1)).join(' '));
    svg.append(line);
  }
  return svg;
}

function drawPools(pools, now) {
  const cards = pools.map((pool) => {
    const d = pool.decision;
    const summary = d
      ? 'pending ' + d.pending + ', desired ' + d.desired + ', ready ' + d.ready + ', starting ' + d.starting + ', draining ' + d.draining + (d.pinned ? ' (pinned)' : '')
      : 'no decision yet (is the scaler running?)';
    const rows = pool.instances.map((i) => el('tr', { 'data-instance': i.id }, el('td', {}, i.id), el('td', {}, i.version), el('td', {}, i.runtime), el('td', { class: 'instance-state' }, i.state), el('td', {}, i.inFlight)));
    return el('div', { class: 'pool', 'data-pool': pool.name, 'data-instances': String(pool.instances.length) },
      el('h3', {}, pool.name + (pool.maxInstances !== undefined ? '  (' + pool.minInstances + '–' + pool.maxInstances + ')' : '')),
      el('div', { class: 'decision' }, summary),
      el('div', { class: 'axis' }, 'top of the chart: ' + Math.max(1, ...pool.history.map((d) => Math.max(d.pending, d.desired, d.ready))) + ' · ' + pool.history.length + ' decisions'),
      chart(pool.history, now),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Instance'), el('th', {}, 'Version'), el('th', {}, 'Runtime'), el('th', {}, 'State'), el('th', {}, 'In flight'))), el('tbody', {}, ...rows)));
  });
  document.getElementById('pools').replaceChildren(...cards);
}

/** 0–100 over the items: ended ones whole, processing ones by their progress. */
function percent(job) {
  if (!job.items.length) return 0;
  const sum = job.items.reduce((total, item) => total + ([0, 3, 4].includes(item.code) ? 100 : item.code === 2 ? item.progress || 0 : 0), 0);
  return Math.round(sum / job.items.length);
}

function drawJobs(jobs) {
  const rows = jobs.map((job) => {
    const state = STATES[job.code] || String(job.code);
    const attempts = job.notify ? job.notify.state + ' (' + job.notify.attempts.map((a) => a.outcome + (a.status ? ' ' + a.status : '')).join(', ') + ')' : '-';
    const fops = el('td', {}, ...job.items.map((item) => el('div', { title: item.error || '' }, item.cmd + ': ' + (STATES[item.code] || item.code) + (item.error ? ' — ' + item.error : ''))));
    return el('tr', { 'data-job': job.id, 'data-state': state },
      el('td', {}, job.id), el('td', {}, job.owner), el('td', {}, job.inputBucket + '/' + job.inputKey),
      el('td', { class: 'state-' + state }, state),
      el('td', {}, el('span', { class: 'bar' }, el('i', { style: 'width:' + percent(job) + '%' })), percent(job) + '%'),
      fops, el('td', { class: 'webhook' }, attempts), el('td', {}, job.creationDate));
  });
  document.querySelector('#jobs tbody').replaceChildren(...rows);
}

async function showLog(name, version) {
  const answer = await fetch('api/builds/' + encodeURIComponent(name) + '/' + encodeURIComponent(version) + '/log');
  const body = await answer.json();
  const log = document.getElementById('build-log');
  log.hidden = false;
  log.textContent = answer.ok ? '--- ' + name + ' version ' + version + ' (' + body.state + ')\n' + body.lines.join('\n') : body.error;
}

/** Build errors quote whole shell commands: the table shows the start, the log and the tooltip the rest. */
const ERROR_PREVIEW_CHARS = 120;
const shorten = (text) => (text.length > ERROR_PREVIEW_CHARS ? text.slice(0, ERROR_PREVIEW_CHARS) + '…' : text);

function drawBuilds(builds) {
  const rows = builds.map((build) => {
    const button = el('button', { type: 'button' }, 'log');
    button.addEventListener('click', () => showLog(build.name, build.version));
    return el('tr', { 'data-build': build.name + ':' + build.version },
      el('td', {}, build.name), el('td', {}, build.version + (build.current ? ' (current)' : '')),
      el('td', { class: 'state-' + build.state, title: build.error || '' }, build.state + (build.error ? ': ' + shorten(build.error) : '')),
      el('td', {}, build.owner), el('td', {}, new Date(build.createdAt).toISOString()), el('td', {}, button));
  });
  document.querySelector('#builds tbody').replaceChildren(...rows);
}

async function refresh() {
  const status = document.getElementById('status');
  try {
    const answer = await fetch('api/overview?sinceS=' + HISTORY_S);
    const body = await answer.json();
    if (!answer.ok) throw new Error(body.error || answer.status);
    drawPools(body.pools, body.at);
    drawJobs(body.jobs);
    drawBuilds(body.builds);
    status.textContent = 'updated ' + new Date(body.at).toLocaleTimeString();
  } catch (error) {
    status.textContent = 'cannot refresh: ' + error.message;
  }
  setTimeout(refresh, CONSOLE_REFRESH_MS);
}

document.getElementById('reach').textContent = String(HISTORY_S / 60);
refresh();
`;
