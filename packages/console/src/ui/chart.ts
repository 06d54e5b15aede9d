import { h, uniqueId } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Series beyond this many are summed into “other clients”: more lines than colours help nobody. */
const MAX_SERIES = 5;

export interface ChartSeries { name: string; values: readonly number[] }

export interface LineChartOptions {
  title: string;
  /** One label per point (x axis), oldest first. */
  labels: readonly string[];
  series: readonly ChartSeries[];
  /** What the numbers count, for the summary and the table (“sign-ins”). */
  unit: string;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, ...children: Array<SVGElement | string>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** The busiest series, the rest summed into one, so the chart stays readable. */
export function topSeries(series: readonly ChartSeries[], max = MAX_SERIES): ChartSeries[] {
  if (series.length <= max) return [...series];
  const shown = series.slice(0, max - 1);
  const rest = series.slice(max - 1);
  const length = rest[0]?.values.length ?? 0;
  return [...shown, { name: `${rest.length} other clients`, values: Array.from({ length }, (_, i) => rest.reduce((n, s) => n + (s.values[i] ?? 0), 0)) }];
}

/** A y-axis maximum that reads well: 1, 2 or 5 times a power of ten, at least the largest value. */
function niceMax(value: number): number {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value)!;
  return step * power;
}

/**
 * A line chart drawn with DOM APIs into an inline SVG (no library, no inline style: colours come
 * from `series-N` classes). The picture is for the eye; a summary names it for screen readers,
 * and the same numbers are in a table behind “Show as table”.
 */
export function lineChart(options: LineChartOptions): HTMLElement {
  const series = topSeries(options.series);
  const width = 640;
  const height = 220;
  const pad = { left: 44, right: 12, top: 12, bottom: 28 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const n = options.labels.length;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i: number) => pad.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const total = series.reduce((sum, s) => sum + s.values.reduce((a, b) => a + b, 0), 0);
  const titleId = uniqueId('chart-title');
  const summary = series.length === 0
    ? `No ${options.unit} in this period.`
    : `${total} ${options.unit} in this period; ${series.map((s) => `${s.name}: ${s.values.reduce((a, b) => a + b, 0)}`).join(', ')}.`;

  const grid: SVGElement[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const value = Math.round(max * fraction);
    grid.push(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: 'chart-grid' }));
    grid.push(svg('text', { x: pad.left - 6, y: y(value) + 4, class: 'chart-axis', 'text-anchor': 'end' }, String(value)));
  }
  const ticks = [0, Math.floor((n - 1) / 2), n - 1].filter((i, k, all) => i >= 0 && all.indexOf(i) === k);
  for (const i of ticks) {
    grid.push(svg('text', { x: x(i), y: height - 8, class: 'chart-axis', 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' }, options.labels[i] ?? ''));
  }
  const lines = series.map((s, k) => svg('polyline', {
    points: s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
    class: `chart-line series-${k}`, fill: 'none',
  }));
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': titleId, focusable: 'false' },
    svg('title', {}, `${options.title}: ${summary}`), ...grid, ...lines);

  const legend = h('ul', { class: 'chart-legend' }, ...series.map((s, k) => h('li', {}, h('span', { class: `swatch series-${k}`, 'aria-hidden': 'true' }), s.name)));
  const table = h('table', { class: 'data' },
    h('caption', { class: 'visually-hidden' }, `${options.title} (${options.unit})`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Period'), ...series.map((s) => h('th', { scope: 'col' }, s.name)))),
    h('tbody', {}, ...options.labels.map((label, i) => h('tr', {}, h('th', { scope: 'row' }, label), ...series.map((s) => h('td', {}, String(s.values[i] ?? 0)))))));

  return h('figure', { class: 'chart-figure' },
    h('figcaption', { id: titleId }, h('strong', {}, options.title), ' ', h('span', { class: 'hint' }, summary)),
    series.length ? picture : h('p', { class: 'state state-empty' }, `No ${options.unit} in this period.`),
    series.length ? legend : null,
    series.length ? h('details', {}, h('summary', {}, 'Show as table'), h('div', { class: 'table-scroll' }, table)) : null);
}
