export interface SelfTimeEntry {
  fn: string;
  file: string;
  line: number;
  owner: string;
  samples: number;
  selfMs: number;
}
export interface SelfTimes {
  entries: SelfTimeEntry[];
  byOwner: { name: string; selfMs: number }[];
  totalMs: number;
  busyMs: number;
  samples: number;
  windowed: boolean;
  intervalMs: number;
}
export function shortPath(url: string, root?: string): string;
export function owner(path: string): string;
export function selfTimes(
  profile: unknown,
  opts?: { fromUs?: number; toUs?: number; root?: string },
): SelfTimes;
export function profileTables(
  result: SelfTimes,
  top: number,
  usPerRequest?: number,
): { functions: string; owners: string; busy: string };
