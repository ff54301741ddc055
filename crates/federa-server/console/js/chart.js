// A line chart as inline SVG: enough for a metric over time, with a text
// summary for screen readers and no library.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function readable(value) {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

// `points` are [Date, number] pairs, oldest first.
export function lineChart(title, points) {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  const caption = document.createElement('figcaption');
  const last = points.at(-1);
  caption.textContent = points.length
    ? `${title}: ${points.length} point${points.length === 1 ? '' : 's'}, latest ${readable(last[1])} at ${last[0].toLocaleTimeString()}`
    : `${title}: no data in this period`;
  const width = 600; const height = 180; const left = 48; const bottom = 22; const top = 8;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption.textContent });
  if (points.length) {
    const xs = points.map(([t]) => t.getTime());
    const ys = points.map(([, v]) => v);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    // A flat series is drawn from zero to its value (a value of zero, from
    // zero to one), never across negative numbers it never took.
    if (y0 === y1) {
      if (y0 > 0) y0 = 0;
      else if (y0 < 0) y1 = 0;
      else y1 = 1;
    }
    const x = (t) => left + ((t - x0) / Math.max(x1 - x0, 1)) * (width - left - 8);
    const y = (v) => top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom);
    root.append(svg('line', { class: 'axis', x1: left, y1: height - bottom, x2: width - 8, y2: height - bottom }));
    root.append(svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: height - bottom }));
    root.append(svg('text', { x: left - 4, y: top + 10, 'text-anchor': 'end' }, readable(y1)));
    root.append(svg('text', { x: left - 4, y: height - bottom, 'text-anchor': 'end' }, readable(y0)));
    root.append(svg('text', { x: left, y: height - 6 }, new Date(x0).toLocaleTimeString()));
    root.append(svg('text', { x: width - 8, y: height - 6, 'text-anchor': 'end' }, new Date(x1).toLocaleTimeString()));
    const path = points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t.getTime()).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    root.append(svg('path', { class: 'line', d: path }));
    // Dots where points are few enough to tell apart; one point has no line.
    if (points.length <= 60) {
      for (const [t, v] of points) root.append(svg('circle', { class: 'dot', cx: x(t.getTime()).toFixed(1), cy: y(v).toFixed(1), r: 3 }));
    }
  }
  figure.append(root, caption);
  return figure;
}
