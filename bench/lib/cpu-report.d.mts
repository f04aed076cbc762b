export interface CpuRow {
  framework: string;
  variant: string;
  runs: number[];
  median: number;
  spread?: number;
  deltaUs?: number;
  deltaPct?: number;
  servedPerSec: number;
  billed: number;
  stored: number;
  storedEvents: number;
  notes: string[];
}
export function median(xs: number[]): number;
export function summarise(
  runs: unknown[],
  opts: { frameworks: string[]; variants: string[]; rate: number; duration: number },
): CpuRow[];
export function cpuTable(rows: CpuRow[]): string;
export function cpuMethod(opts: Record<string, unknown>): string;
export function cpuTargets(rows: CpuRow[]): [string, string, string][];
