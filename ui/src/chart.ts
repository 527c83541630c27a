// The line chart: uPlot, one line per group, sized to its container.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { fmtNum } from "./format";
import { align, Group } from "./series";

// A palette that stays apart for the usual colour-vision deficiencies (Okabe-Ito plus a few);
// "other" is always grey.
export const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c6d31", "#000000", "#7b3294", "#1b9e77"];
export const OTHER_COLOR = "#9a9a9a";

export function colorOf(i: number, isOther: boolean): string {
  return isOther ? OTHER_COLOR : PALETTE[i % PALETTE.length];
}

export interface Chart {
  destroy(): void;
}

// renderChart draws groups into el. The last group is "other" when other is true.
export function renderChart(el: HTMLElement, groups: Group[], other: boolean, unit: string): Chart {
  const data = align(groups);
  const height = () => (el.clientWidth < 600 ? 240 : 320);
  const opts: uPlot.Options = {
    width: Math.max(200, el.clientWidth),
    height: height(),
    series: [
      {},
      ...groups.map((g, i) => ({
        label: g.label,
        stroke: colorOf(i, other && i === groups.length - 1),
        width: 1.5,
        spanGaps: false,
        points: { size: 4 },
        value: (_u: uPlot, v: number | null) => fmtNum(v),
      })),
    ],
    axes: [{}, { size: 64, label: unit || undefined, values: (_u: uPlot, vs: number[]) => vs.map(fmtNum) }],
    legend: { live: true },
    cursor: { focus: { prox: 16 } },
    focus: { alpha: 0.3 },
  };
  const u = new uPlot(opts, data as uPlot.AlignedData, el);
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, el.clientWidth);
    if (w !== u.width) u.setSize({ width: w, height: height() });
  });
  ro.observe(el);
  return {
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
