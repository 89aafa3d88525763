/* Spool dashboard: the one script of every page. Served from the dashboard itself (CSP script-src
   'self'); it only enhances server-rendered pages: local times, live updates, graphs, selection,
   confirmations and keyboard shortcuts. Every page works without it. */
/* global document, window, location, confirm, HTMLElement, HTMLInputElement, HTMLFormElement, HTMLTextAreaElement */
'use strict';

(function main() {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
  const base = meta('spool-base');
  const pollMs = Math.max(250, Number(meta('spool-poll')) || 2000);
  const liveMode = meta('spool-live');
  const SVG = 'http://www.w3.org/2000/svg';

  // ---- time: the viewer's time zone, with relative times ------------------------------------
  const absolute = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const clockSkew = { ms: 0 };

  function rel(ms) {
    const s = Math.round(ms / 1000);
    const abs = Math.abs(s);
    if (abs < 45) return relative.format(s, 'second');
    if (abs < 2700) return relative.format(Math.round(s / 60), 'minute');
    if (abs < 64800) return relative.format(Math.round(s / 3600), 'hour');
    return relative.format(Math.round(s / 86400), 'day');
  }

  function span(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${s % 60}s`;
    const h = Math.floor(m / 60);
    return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
  }

  function renderTimes(root) {
    const now = Date.now() + clockSkew.ms;
    for (const el of root.querySelectorAll('time[datetime]')) {
      const at = Date.parse(el.getAttribute('datetime'));
      if (Number.isNaN(at)) continue;
      if (el.hasAttribute('data-elapsed')) {
        el.textContent = span(now - at);
        continue;
      }
      el.title = `${full.format(at)} (${new Date(at).toISOString()})`;
      el.textContent = '';
      const abs = document.createElement('span');
      abs.textContent = absolute.format(at);
      const relEl = document.createElement('span');
      relEl.className = 'rel';
      relEl.textContent = rel(at - now);
      el.append(abs, relEl);
    }
  }

  // ---- selection and confirmation ------------------------------------------------------------
  function updateSelection(form) {
    const boxes = [...form.querySelectorAll('input[type=checkbox][name=id]')];
    const chosen = boxes.filter((b) => b.checked).length;
    for (const button of form.querySelectorAll('[data-needs-selection]')) button.disabled = chosen === 0;
    const label = form.querySelector('[data-selected-count]');
    if (label) label.textContent = chosen === 0 ? 'Select jobs to act on them' : `${chosen} selected`;
    const all = form.querySelector('[data-select-all]');
    if (all) {
      all.checked = chosen > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
  }

  document.addEventListener('change', (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    const form = target.closest('form[data-bulk]');
    if (!form) return;
    if (target.hasAttribute('data-select-all')) {
      for (const box of form.querySelectorAll('input[type=checkbox][name=id]')) box.checked = target.checked;
    }
    updateSelection(form);
  });

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const question = form.getAttribute('data-confirm');
    if (question && !confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute('data-bulk')) {
      const button = event.submitter;
      const chosen = form.querySelectorAll('input[type=checkbox][name=id]:checked').length;
      if (button && button.value === 'delete' && chosen > 1) {
        if (!confirm(`Delete ${chosen} jobs? Running ones are stopped.`)) {
          event.preventDefault();
          return;
        }
        const confirmed = document.createElement('input');
        confirmed.type = 'hidden';
        confirmed.name = 'confirmed';
        confirmed.value = '1';
        form.append(confirmed);
      }
    }
    if (form.hasAttribute('data-search-form')) {
      for (const local of form.querySelectorAll('[data-local-for]')) {
        const hidden = form.querySelector(`input[type=hidden][name="${local.getAttribute('data-local-for')}"]`);
        if (hidden) hidden.value = local.value ? new Date(local.value).toISOString() : '';
      }
    }
  });

  function fillLocalInputs() {
    for (const local of document.querySelectorAll('[data-local-for]')) {
      const hidden = local.parentElement?.querySelector('input[type=hidden]');
      if (!hidden || !hidden.value) continue;
      const d = new Date(hidden.value);
      if (Number.isNaN(d.getTime())) continue;
      const pad = (n) => String(n).padStart(2, '0');
      local.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }
  }

  // ---- the enqueue form: arguments checked as JSON while typed (the server checks again) -------
  function checkArgs(area) {
    const note = area.closest('form')?.querySelector('[data-args-check]');
    if (!note) return;
    try {
      JSON.parse(area.value.trim() === '' ? '{}' : area.value);
      note.textContent = 'Valid JSON.';
      note.classList.remove('warn');
      area.setCustomValidity('');
    } catch (error) {
      note.textContent = `Not valid JSON yet: ${error.message}`;
      note.classList.add('warn');
      area.setCustomValidity('The arguments must be valid JSON.');
    }
  }
  document.addEventListener('input', (event) => {
    if (event.target instanceof HTMLTextAreaElement && event.target.hasAttribute('data-args-json')) checkArgs(event.target);
  });

  // ---- keyboard ------------------------------------------------------------------------------
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === '/' && !typing) {
      const search = document.querySelector('[data-search]');
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.key === 'Escape' && typing) {
      target.blur();
    }
  });

  // ---- graphs: inline SVG, colours from the stylesheet -----------------------------------------
  function svg(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  // The top of a graph's axis: `ticks` steps of a whole 1, 2 or 5 times a power of ten, so that
  // every label is a whole number (counts and rates of whole jobs: no "37.5").
  function niceMax(value, ticks) {
    const raw = Math.max(1, value) / ticks;
    const mag = 10 ** Math.floor(Math.log10(raw));
    let step = 10 * mag;
    for (const m of [1, 2, 5]) {
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    }
    return Math.max(1, Math.ceil(step)) * ticks;
  }

  function chartFrame(host, width, height, max, ticks) {
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart-svg', 'aria-hidden': 'true' });
    for (let i = 0; i <= ticks; i++) {
      const y = 8 + ((height - 28) * i) / ticks;
      root.append(svg('line', { x1: 36, x2: width, y1: y, y2: y, class: 'grid' }));
      const label = svg('text', { x: 30, y: y + 4, class: 'axis', 'text-anchor': 'end' });
      label.textContent = formatShort((max * (ticks - i)) / ticks);
      root.append(label);
    }
    host.replaceChildren(root);
    return root;
  }

  function formatShort(n) {
    if (n >= 1e6) return `${(n / 1e6).toFixed(n % 1e6 ? 1 : 0)}M`;
    if (n >= 1e3) return `${(n / 1e3).toFixed(n % 1e3 ? 1 : 0)}k`;
    return String(Math.round(n * 10) / 10);
  }

  function drawHistory(host, kind) {
    let points;
    try {
      points = JSON.parse(host.getAttribute(host.hasAttribute('data-points') ? 'data-points' : `data-${kind}`) || '[]');
    } catch {
      points = [];
    }
    const width = Math.max(240, host.clientWidth || 720);
    const height = 220;
    const max = niceMax(Math.max(1, ...points.map((p) => p[1] + p[2])), 4);
    const root = chartFrame(host, width, height, max, 4);
    const plot = height - 28;
    const slot = (width - 40) / Math.max(1, points.length);
    const labelEvery = Math.ceil(points.length / Math.max(3, Math.floor(width / 90)));
    points.forEach(([at, ok, failed], i) => {
      const x = 40 + i * slot + slot * 0.15;
      const w = Math.max(1, slot * 0.7);
      const hOk = (ok / max) * plot;
      const hFail = (failed / max) * plot;
      const g = svg('g', { class: 'bar' });
      const title = svg('title', {});
      const when = new Date(at);
      title.textContent = `${kind === 'daily' ? when.toLocaleDateString() : absolute.format(when)}: ${ok} succeeded, ${failed} failed`;
      g.append(title);
      g.append(svg('rect', { x, y: 8 + plot - hOk - hFail, width: w, height: Math.max(hOk, 0), class: 'bar-succeeded', rx: 1.5 }));
      g.append(svg('rect', { x, y: 8 + plot - hFail, width: w, height: Math.max(hFail, 0), class: 'bar-failed', rx: 1.5 }));
      g.append(svg('rect', { x: 40 + i * slot, y: 8, width: slot, height: plot, class: 'hit' }));
      root.append(g);
      if (i % labelEvery === 0) {
        const label = svg('text', { x: x + w / 2, y: height - 6, class: 'axis', 'text-anchor': 'middle' });
        const hh = String(when.getHours()).padStart(2, '0');
        label.textContent = kind === 'minute' ? `${hh}:${String(when.getMinutes()).padStart(2, '0')}` : kind === 'daily' ? when.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : `${hh}:00`;
        root.append(label);
      }
    });
  }

  // Jobs finished per second, sampled from the latest counts every poll interval: counts arrive only
  // when they change, so a quiet storage samples zero without asking the server anything.
  const throughput = { samples: [], finished: null, last: null };
  function sampleThroughput() {
    if (throughput.finished === null) return;
    const at = Date.now();
    if (throughput.last) {
      const seconds = (at - throughput.last.at) / 1000;
      if (seconds > 0) {
        throughput.samples.push(Math.max(0, (throughput.finished - throughput.last.finished) / seconds));
        if (throughput.samples.length > 60) throughput.samples.shift();
      }
    }
    throughput.last = { at, finished: throughput.finished };
    const host = document.querySelector('[data-chart="throughput"]');
    if (host) drawThroughput(host);
  }

  function drawThroughput(host) {
    const width = Math.max(240, host.clientWidth || 480);
    const height = 180;
    const values = throughput.samples;
    if (values.length < 2) return;
    const max = niceMax(Math.max(1, ...values), 3);
    const root = chartFrame(host, width, height, max, 3);
    const plot = height - 28;
    const step = (width - 40) / 59;
    const coords = values.map((v, i) => [40 + (60 - values.length + i) * step, 8 + plot - (v / max) * plot]);
    const line = coords.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
    root.append(svg('path', { d: `${line} L${coords.at(-1)[0].toFixed(1)},${8 + plot} L${coords[0][0].toFixed(1)},${8 + plot} Z`, class: 'area' }));
    root.append(svg('path', { d: line, class: 'line' }));
    const label = svg('text', { x: width - 4, y: height - 6, class: 'axis', 'text-anchor': 'end' });
    label.textContent = `now: ${formatShort(values.at(-1))}/s`;
    root.append(label);
  }

  // ---- live updates --------------------------------------------------------------------------
  const dot = document.querySelector('[data-live-dot]');
  function setLive(ok) {
    if (!dot) return;
    dot.classList.toggle('offline', !ok);
    dot.textContent = ok ? 'Live' : 'Offline';
  }

  async function getJson(path) {
    const response = await fetch(`${base}${path}`, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${response.status}`);
    return response.json();
  }

  const numberFormat = new Intl.NumberFormat();
  function applyStats(stats) {
    clockSkew.ms = stats.now - Date.now();
    for (const [state, n] of Object.entries(stats.states)) {
      for (const el of document.querySelectorAll(`[data-stat="${state}"], [data-count="${state}"]`)) el.textContent = numberFormat.format(n);
    }
    for (const el of document.querySelectorAll('[data-count="servers"]')) el.textContent = numberFormat.format(stats.servers);
    for (const el of document.querySelectorAll('[data-count="recurring"]')) el.textContent = numberFormat.format(stats.recurring);
    throughput.finished = stats.states.succeeded + stats.states.failed + stats.states.deleted;
    // The first counts start the measurement at once: the graph appears after two intervals.
    if (throughput.last === null) sampleThroughput();
    const outcomes = `${stats.states.succeeded}/${stats.states.failed}`;
    if (history.outcomes !== null && history.outcomes !== outcomes) scheduleHistory();
    history.outcomes = outcomes;
  }

  // The history graph follows the counts: when succeeded or failed moved, its buckets are read again
  // (at most every two seconds: they are hourly and daily sums).
  const renderedCounts = (() => {
    try {
      const states = JSON.parse(meta('spool-counts'));
      return `${states.succeeded}/${states.failed}`;
    } catch {
      return null;
    }
  })();
  const history = { outcomes: renderedCounts, timer: null, last: 0 };
  function scheduleHistory() {
    if (history.timer !== null || !document.querySelector('[data-chart="history"]')) return;
    history.timer = setTimeout(() => {
      history.timer = null;
      history.last = Date.now();
      refreshHistory().catch(() => setLive(false));
    }, Math.max(0, history.last + 2000 - Date.now()));
  }
  async function refreshHistory() {
    const host = document.querySelector('[data-chart="history"]');
    if (!host) return;
    const [hourly, daily] = await Promise.all([getJson('/api/time-series?bucket=hour'), getJson('/api/time-series?bucket=day')]);
    const encode = (points) => JSON.stringify(points.map((p) => [Date.parse(p.at), p.succeeded, p.failed]));
    host.setAttribute('data-hourly', encode(hourly.points));
    host.setAttribute('data-daily', encode(daily.points));
    for (const kind of ['succeeded', 'failed']) {
      const total = hourly.points.reduce((sum, p) => sum + p[kind], 0);
      for (const el of document.querySelectorAll(`[data-history-total="${kind}"]`)) el.textContent = numberFormat.format(total);
    }
    drawHistory(host, document.querySelector('[data-history-tab][aria-selected="true"]')?.getAttribute('data-history-tab') || 'hourly');
  }

  function regionBusy(region) {
    return region.querySelector('input[type=checkbox]:checked') !== null || region.contains(document.activeElement) && document.activeElement !== region && document.activeElement.tagName !== 'A';
  }

  let lastMarkup = null;
  async function refreshRegion() {
    const region = document.querySelector('[data-live-region]');
    if (!region || regionBusy(region)) return;
    const response = await fetch(location.href, { headers: { 'X-Spool-Fragment': '1' }, credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${response.status}`);
    const markup = await response.text();
    if (regionBusy(region)) return;
    if (lastMarkup === markup) return;
    // The markup is the dashboard's own server-rendered page, escaped by construction.
    region.innerHTML = markup;
    lastMarkup = markup;
    shownLogs.keys = null;
    enhance(region);
  }

  // A job's log as shown: the key of every line, oldest first. A read returns only the latest lines
  // (500), so new lines are found by where the shown ones end in it, not by counting.
  const shownLogs = { keys: null };
  const logKey = (line) => `${line.at}|${line.attempt}|${line.level}|${line.message}`;

  /** The lines of `latest` that come after the shown ones (all of them when they do not overlap). */
  function unseenLines(shown, latest) {
    const keys = latest.map(logKey);
    if (shown.length === 0) return latest;
    for (let end = keys.lastIndexOf(shown.at(-1)); end >= 0; end = keys.lastIndexOf(shown.at(-1), end - 1)) {
      const overlap = Math.min(end + 1, shown.length);
      let same = true;
      for (let i = 0; i < overlap && same; i++) same = keys[end - i] === shown[shown.length - 1 - i];
      if (same) return latest.slice(end + 1);
    }
    return latest;
  }

  function logLine(line) {
    const li = document.createElement('li');
    li.className = `log log-${line.level}`;
    const t = document.createElement('time');
    t.setAttribute('datetime', line.at);
    const time = document.createElement('span');
    time.className = 'log-time';
    time.append(t);
    const level = document.createElement('span');
    level.className = 'log-level';
    level.textContent = line.level;
    const attempt = document.createElement('span');
    attempt.className = 'log-attempt';
    attempt.textContent = `#${line.attempt}`;
    const msg = document.createElement('span');
    msg.className = 'log-msg';
    msg.textContent = line.message;
    li.append(time, level, attempt, msg);
    return li;
  }

  function appendLogs(list, latest) {
    if (shownLogs.keys === null) {
      // The server rendered the latest lines into the page: read them back as shown.
      shownLogs.keys = [...list.querySelectorAll('li.log')].map((li) =>
        logKey({
          at: li.querySelector('time')?.getAttribute('datetime') ?? '',
          attempt: (li.querySelector('.log-attempt')?.textContent ?? '').slice(1),
          level: li.querySelector('.log-level')?.textContent ?? '',
          message: li.querySelector('.log-msg')?.textContent ?? '',
        }),
      );
    }
    const fresh = unseenLines(shownLogs.keys, latest);
    if (fresh.length === 0) return;
    list.querySelector('.log-empty')?.remove();
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    for (const line of fresh) list.append(logLine(line));
    shownLogs.keys.push(...fresh.map(logKey));
    renderTimes(list);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  const jobState = { updated: null, state: null };
  /** Shows what a job's snapshot (from the stream or the API) says: progress, new log lines, a new state. */
  async function applyJob(details) {
    const holder = document.querySelector('[data-job-id]');
    if (!holder || !details || !details.job) return;
    const updated = details.job.updatedAt;
    jobState.updated ??= holder.getAttribute('data-job-updated');
    jobState.state ??= details.job.state;
    const progress = details.job.progress;
    const bar = document.querySelector('[data-progress]');
    if (bar && progress !== null) {
      bar.value = progress;
      bar.setAttribute('value', String(progress));
      bar.textContent = `${progress}%`;
      const text = document.querySelector('[data-progress-text]');
      if (text) text.textContent = `${progress}%`;
    }
    const list = document.querySelector('[data-logs]');
    if (list) appendLogs(list, details.logs);
    // A running job's update time moves with its progress: its page is drawn again only when the state moves.
    if (updated !== jobState.updated && (details.job.state !== 'processing' || jobState.state !== details.job.state)) {
      jobState.updated = updated;
      jobState.state = details.job.state;
      await refreshRegion();
    }
    jobState.state = details.job.state;
  }

  // A list is drawn again when a count or a job of its state changed, at most once a second (each
  // redraw renders a page on the server: under load that is the stream's main cost).
  const ownState = meta('spool-state');
  // The counts the page was rendered with: a change between rendering and the stream's first event counts.
  const regionRefresh = { counts: meta('spool-counts') || null, timer: null, last: 0 };
  function regionMayHaveChanged(stats) {
    const counts = JSON.stringify(stats.states);
    const touched = Array.isArray(stats.touched) && stats.touched.length > 0 && (ownState === '' || stats.touched.includes(ownState));
    const moved = regionRefresh.counts !== null && regionRefresh.counts !== counts;
    regionRefresh.counts = counts;
    if (!moved && !touched) return;
    if (regionRefresh.timer !== null) return;
    const wait = Math.max(0, regionRefresh.last + 1000 - Date.now());
    regionRefresh.timer = setTimeout(() => {
      regionRefresh.timer = null;
      regionRefresh.last = Date.now();
      refreshRegion().catch(() => setLive(false));
    }, wait);
  }

  function onStats(stats) {
    applyStats(stats);
    if (liveMode === 'page') regionMayHaveChanged(stats);
  }

  // ---- the stream: one per page; polling only when it cannot open -----------------------------
  const holderId = () => document.querySelector('[data-job-id]')?.getAttribute('data-job-id');
  let stream = null;
  let polling = false;

  function openStream() {
    if (stream || polling) return;
    if (typeof window.EventSource !== 'function') return startPolling();
    const id = liveMode === 'job' ? holderId() : null;
    stream = new window.EventSource(`${base}/api/live${id ? `?job=${encodeURIComponent(id)}` : ''}`);
    stream.addEventListener('open', () => setLive(true));
    stream.addEventListener('stats', (event) => {
      setLive(true);
      onStats(JSON.parse(event.data));
    });
    stream.addEventListener('job', (event) => {
      applyJob(JSON.parse(event.data)).catch(() => setLive(false));
    });
    stream.addEventListener('error', () => {
      // CONNECTING: the browser reconnects by itself. CLOSED: the server refused the stream.
      setLive(false);
      if (stream && stream.readyState === window.EventSource.CLOSED) {
        stream = null;
        startPolling();
      }
    });
  }

  function closeStream() {
    stream?.close();
    stream = null;
  }

  let timer = null;
  async function poll() {
    clearTimeout(timer);
    if (!document.hidden) {
      try {
        onStats(await getJson('/api/stats'));
        const id = liveMode === 'job' ? holderId() : null;
        if (id) await applyJob(await getJson(`/api/job/${encodeURIComponent(id)}`));
        setLive(true);
      } catch {
        setLive(false);
      }
    }
    timer = setTimeout(poll, liveMode === 'job' ? Math.min(pollMs, 1000) : pollMs);
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    void poll();
  }

  // ---- tabs ----------------------------------------------------------------------------------
  document.addEventListener('click', (event) => {
    const tab = event.target instanceof HTMLElement ? event.target.closest('[data-history-tab]') : null;
    if (!tab) return;
    for (const other of document.querySelectorAll('[data-history-tab]')) other.setAttribute('aria-selected', String(other === tab));
    const host = document.querySelector('[data-chart="history"]');
    if (host) drawHistory(host, tab.getAttribute('data-history-tab'));
  });

  function enhance(root) {
    renderTimes(root);
    for (const form of root.querySelectorAll('form[data-bulk]')) updateSelection(form);
    const history = root.querySelector('[data-chart="history"]');
    if (history) drawHistory(history, document.querySelector('[data-history-tab][aria-selected="true"]')?.getAttribute('data-history-tab') || 'hourly');
    // The metrics page's outcomes: the same bars, per minute or per hour.
    const outcomes = root.querySelector('[data-chart="outcomes"]');
    if (outcomes) drawHistory(outcomes, outcomes.getAttribute('data-kind'));
  }

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const history = document.querySelector('[data-chart="history"]');
      if (history) drawHistory(history, document.querySelector('[data-history-tab][aria-selected="true"]')?.getAttribute('data-history-tab') || 'hourly');
      const live = document.querySelector('[data-chart="throughput"]');
      if (live) drawThroughput(live);
      const outcomes = document.querySelector('[data-chart="outcomes"]');
      if (outcomes) drawHistory(outcomes, outcomes.getAttribute('data-kind'));
    }, 150);
  });

  enhance(document);
  fillLocalInputs();
  document.documentElement.classList.add('js');
  openStream();
  setInterval(sampleThroughput, pollMs);
  setInterval(() => renderTimes(document), 1000);
  // A hidden tab holds no stream open; shown again, it reopens one, which starts with fresh counts.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return closeStream();
    if (polling) return void poll();
    openStream();
  });
})();
