/** One bar group of the chart. */
export interface ChartRow {
  label: string;
  reference: boolean;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A round axis maximum above `max` (1, 2 or 5 times a power of ten). */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const fmt = (v: number) =>
  v === 0
    ? '0'
    : v >= 1000
      ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`
      : v >= 10
        ? v.toFixed(0)
        : v.toFixed(2);

/**
 * Two panels of grouped bars, hand-written SVG: requests/s per scenario and reference, then p50
 * and p99 latency.
 */
export function renderChart(rows: ChartRow[], title: string, subtitle: string): string {
  const width = 980;
  const left = 70;
  const right = 20;
  const panelHeight = 230;
  const top1 = 90;
  const top2 = top1 + panelHeight + 80;
  const height = top2 + panelHeight + 70;
  const plotWidth = width - left - right;
  const slot = plotWidth / Math.max(rows.length, 1);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="28" font-size="18" font-weight="600">${esc(title)}</text>`,
    `<text x="${left}" y="48" fill="#555">${esc(subtitle)}</text>`,
  );

  const axis = (top: number, max: number, unit: string) => {
    for (let i = 0; i <= 4; i += 1) {
      const y = top + panelHeight - (panelHeight * i) / 4;
      out.push(
        `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`,
        `<text x="${left - 8}" y="${y + 4}" text-anchor="end" fill="#555">${fmt((max * i) / 4)}</text>`,
      );
    }
    out.push(
      `<text x="16" y="${top + panelHeight / 2}" transform="rotate(-90 16 ${top + panelHeight / 2})" text-anchor="middle" fill="#333">${esc(unit)}</text>`,
    );
  };
  const labels = (top: number) =>
    rows.forEach((row, i) => {
      const x = left + slot * i + slot / 2;
      out.push(
        `<text x="${x}" y="${top + panelHeight + 18}" text-anchor="middle">${esc(row.label)}</text>`,
        `<text x="${x}" y="${top + panelHeight + 33}" text-anchor="middle" fill="#777">${row.reference ? 'reference' : 'gateway'}</text>`,
      );
    });
  const bar = (x: number, w: number, top: number, max: number, value: number, color: string) => {
    const h = (panelHeight * value) / max;
    const y = top + panelHeight - h;
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"/>`,
      `<text x="${(x + w / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="11">${fmt(value)}</text>`,
    );
  };

  // Panel 1: throughput.
  const rpsMax = niceMax(Math.max(...rows.map((r) => r.rps)));
  out.push(
    `<text x="${left}" y="${top1 - 10}" font-weight="600">Throughput (requests/s, higher is better)</text>`,
  );
  axis(top1, rpsMax, 'requests/s');
  rows.forEach((row, i) => {
    const w = slot * 0.5;
    bar(
      left + slot * i + (slot - w) / 2,
      w,
      top1,
      rpsMax,
      row.rps,
      row.reference ? '#9aa5b1' : '#2f6fdf',
    );
  });
  labels(top1);

  // Panel 2: latency, p50 and p99 side by side.
  const msMax = niceMax(Math.max(...rows.map((r) => r.p99Ms)));
  out.push(
    `<text x="${left}" y="${top2 - 10}" font-weight="600">Latency (ms, lower is better)</text>`,
  );
  axis(top2, msMax, 'ms');
  rows.forEach((row, i) => {
    const w = slot * 0.3;
    const x0 = left + slot * i + slot * 0.2;
    bar(x0, w, top2, msMax, row.p50Ms, '#5bb98c');
    bar(x0 + w, w, top2, msMax, row.p99Ms, '#e0874a');
  });
  labels(top2);
  const ly = top2 - 24;
  out.push(
    `<rect x="${width - 220}" y="${ly}" width="12" height="12" fill="#5bb98c"/><text x="${width - 204}" y="${ly + 10}">p50</text>`,
    `<rect x="${width - 160}" y="${ly}" width="12" height="12" fill="#e0874a"/><text x="${width - 144}" y="${ly + 10}">p99</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
