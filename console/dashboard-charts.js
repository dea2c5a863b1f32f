// The dashboard's charts, drawn with uPlot (served from the installed
// package at /console/assets/vendor/, no CDN): one time axis in UTC over the
// stats window for every chart, and a marker (a DOM element over the plot,
// with its text in a tooltip) at each time the revision or the model
// changed. Each chart is a picture only (role="img" with a one-line
// summary); its numbers are in the table under it (dashboard-tables.js).
import uPlot from './vendor/uplot.esm.js';
import { changeText, timeLabel } from './dashboard-format.js';

const COLOURS = ['#0b57d0', '#a4161a', '#146c2e', '#7a4b00', '#6a1b9a', '#00695c', '#c2185b', '#37474f'];
const DECISION_COLOURS = { approve: '#146c2e', review: '#7a4b00', reject: '#a4161a', labelled: '#0b57d0' };
const HEIGHT = 220;
const seconds = (iso) => Date.parse(iso) / 1000;

/** Vertical markers where the revision or model changed: DOM elements in uPlot's overlay, placed on every redraw. */
function changeMarkers(changes) {
  let layer;
  return {
    hooks: {
      init: (u) => {
        layer = document.createElement('div');
        layer.className = 'change-markers';
        u.over.append(layer);
      },
      draw: (u) => {
        const [min, max] = [u.scales.x.min, u.scales.x.max];
        layer.replaceChildren(
          ...changes
            .filter((c) => seconds(c.at) >= min && seconds(c.at) <= max)
            .map((c) => {
              const marker = document.createElement('div');
              marker.className = `change-marker change-${c.kind}`;
              marker.dataset.kind = c.kind;
              marker.dataset.at = c.at;
              marker.title = `${timeLabel(c.at)} UTC: ${changeText(c)}`;
              marker.style.left = `${u.valToPos(seconds(c.at), 'x')}px`;
              return marker;
            }),
        );
      },
    },
  };
}

/** The time axis in UTC, 24-hour: `13:00` with the date (`12-02`) where the day changes, or dates only over more than three days. */
function timeAxis() {
  return {
    values: (u, splits) => {
      const days = u.scales.x.max - u.scales.x.min > 3 * 86_400;
      let lastDay = '';
      return splits.map((ts) => {
        const iso = new Date(ts * 1000).toISOString();
        const day = iso.slice(5, 10);
        if (days) return day;
        const text = day === lastDay ? iso.slice(11, 16) : `${iso.slice(11, 16)}\n${day}`;
        lastDay = day;
        return text;
      });
    },
  };
}

function baseOptions(window, changes, width) {
  return {
    width,
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true, range: () => [seconds(window.from), seconds(window.to)] } },
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    plugins: [changeMarkers(changes)],
  };
}

const line = (label, stroke, extra = {}) => ({ label, stroke, width: 2, points: { show: true, size: 5 }, ...extra });

/** Draws into `container`, sized to it, redrawn at its new width when it is resized; returns a function that removes it. */
function mount(container, options, data) {
  const width = () => Math.max(280, container.clientWidth);
  const plot = new uPlot({ ...options, width: width() }, data, container);
  const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
  observer.observe(container);
  return () => {
    observer.disconnect();
    plot.destroy();
  };
}

export function decisionsChart(container, stats) {
  const x = stats.hourly.map((h) => seconds(h.hour));
  const series = ['approve', 'review', 'reject'].map((d) => stats.hourly.map((h) => h.decisions[d]));
  const labelled = stats.hourly.map((h) => h.labelled);
  const options = {
    ...baseOptions(stats, stats.changes, 600),
    series: [{}, line('Approved', DECISION_COLOURS.approve), line('To review', DECISION_COLOURS.review), line('Rejected', DECISION_COLOURS.reject), line('Labelled', DECISION_COLOURS.labelled, { dash: [6, 4] })],
    axes: [timeAxis(), { label: 'posts per hour' }],
  };
  return mount(container, options, [x, ...series, labelled]);
}

export function categoriesChart(container, stats, categories) {
  const x = stats.hourly.map((h) => seconds(h.hour));
  const options = {
    ...baseOptions(stats, stats.changes, 600),
    series: [{}, ...categories.map((c, i) => line(c, COLOURS[i % COLOURS.length]))],
    axes: [timeAxis(), { label: 'posts per hour' }],
  };
  return mount(container, options, [x, ...categories.map((c) => stats.hourly.map((h) => h.categories[c] ?? 0))]);
}

export function ratesChart(container, stats) {
  const x = stats.hourly.map((h) => seconds(h.hour));
  const pct = (v) => (v === null ? null : v * 100);
  const options = {
    ...baseOptions(stats, stats.changes, 600),
    scales: { ...baseOptions(stats, stats.changes, 600).scales, y: { range: [0, 100] } },
    series: [{}, line('Sent to review %', DECISION_COLOURS.review), line('Approved automatically %', DECISION_COLOURS.approve)],
    axes: [timeAxis(), { label: '% of the hour’s posts', values: (_u, splits) => splits.map((v) => `${v}%`) }],
  };
  return mount(container, options, [x, stats.hourly.map((h) => pct(h.reviewRate)), stats.hourly.map((h) => pct(h.autoApproveRate))]);
}

/** The queue as polled since the page opened: depth (left axis) and the oldest item's age in minutes (right axis). */
export function queueChart(container, stats, history) {
  const first = history.length === 0 ? seconds(stats.generatedAt) - 600 : seconds(history[0].at) - 60;
  const last = history.length === 0 ? seconds(stats.generatedAt) : seconds(history[history.length - 1].at) + 60;
  const options = {
    ...baseOptions(stats, stats.changes, 600),
    // From the first poll to the last, at least ten minutes (one poll alone would get uPlot's default of years).
    scales: { x: { time: true, range: () => [first, Math.max(last, first + 600)] }, minutes: {} },
    series: [{}, line('Waiting', COLOURS[0]), line('Oldest waiting (min)', COLOURS[1], { scale: 'minutes' })],
    axes: [timeAxis(), { label: 'posts waiting' }, { scale: 'minutes', side: 1, label: 'minutes', grid: { show: false } }],
  };
  const data = [history.map((p) => seconds(p.at)), history.map((p) => p.depth), history.map((p) => (p.oldestAgeSeconds === null ? null : Math.round(p.oldestAgeSeconds / 60)))];
  return mount(container, options, data);
}

/** The service events: one row of points per instance over the window, markers where the revision or model changed. */
export function timelineChart(container, stats) {
  const instances = [...new Set(stats.timeline.map((e) => e.instance))];
  const events = stats.timeline;
  const x = events.map((e) => seconds(e.at));
  const options = {
    ...baseOptions(stats, stats.changes, 600),
    scales: { ...baseOptions(stats, stats.changes, 600).scales, y: { range: [-0.5, Math.max(0.5, instances.length - 0.5)] } },
    series: [{}, { label: 'start', stroke: COLOURS[0], paths: () => null, points: { show: true, size: 10, fill: COLOURS[0] } }, { label: 'model swap', stroke: COLOURS[1], paths: () => null, points: { show: true, size: 10, fill: COLOURS[1] } }],
    axes: [timeAxis(), { size: 140, splits: () => instances.map((_, i) => i), values: (_u, splits) => splits.map((i) => instances[i] ?? '') }],
  };
  const row = (kind) => events.map((e) => (e.event === kind ? instances.indexOf(e.instance) : null));
  return mount(container, options, [x, row('start'), row('model-swap')]);
}
