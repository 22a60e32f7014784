/**
 * The benchmark's figures: one value per round for each target and figure,
 * summed up as medians (ratios as medians of the per-round ratios) with
 * their spread, and printed as aligned tables; progress lines go to stderr.
 *
 * @module
 */

/** Per target and figure, one value per round. */
export type Figures = Map<string, number[]>;

export const TRANSPORTS = ["http", "websocket"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** The median of the per-round ratios `a[i] / b[i]`. */
export function ratio(a: number[], b: number[]): number {
  return median(pairwise(a, b, (x, y) => x / y));
}

export function pairwise(a: number[], b: number[], f: (x: number, y: number) => number): number[] {
  return a.slice(0, b.length).map((x, i) => f(x, b[i]));
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function sum0(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** `median ±x%`, x being half the range across rounds over the median. */
export function withSpread(values: number[], format: (value: number) => string): string {
  const mid = median(values);
  if (values.length < 2) return format(mid);
  const spread = (Math.max(...values) - Math.min(...values)) / 2 / mid * 100;
  return `${format(mid)} ±${spread.toFixed(0)}%`;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) {
    console.log(
      row.map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column])
      )
        .join("   "),
    );
  }
}

export function progress(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}
