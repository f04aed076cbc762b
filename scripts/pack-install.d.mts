export interface WorkspacePackage {
  dir: string;
  json: { name: string; version: string; private?: boolean; [field: string]: unknown };
}
export const repoRoot: string;
export function publicPackages(root?: string): WorkspacePackage[];
export function packPackages(
  packages: WorkspacePackage[],
  dest: string,
  options?: { log?: (line: string) => void },
): Map<string, string>;
export function userEnv(env?: NodeJS.ProcessEnv): Record<string, string>;
export function npmInstall(dir: string, specs: string[], options?: { timeout?: number }): string;
