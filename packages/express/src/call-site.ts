import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `billable() at src/app.ts:12:5`: where a spec was declared, so a bad spec's error points at it. */
export function callSite(name: string, above: (...args: never[]) => unknown): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, above);
  const frame = holder.stack?.split('\n')[1];
  const match = frame && /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(frame);
  if (!match) return name;
  let file = match[1]!;
  try {
    if (file.startsWith('file://')) file = fileURLToPath(file);
    file = relative(process.cwd(), file) || file;
  } catch {
    // keep the raw location
  }
  return `${name} at ${file}:${match[2]}:${match[3]}`;
}
