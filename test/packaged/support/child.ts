// A `node` child process run inside the packaged project: testkit's `startChild` with stdin commands
// (`send`, `ask`). Its environment is a user's shell (no npm_* variables, no NODE_PATH, no NODE_OPTIONS),
// so every import resolves from the project's node_modules. Each file's afterAll runs testkit's
// `killChildren()`.
import { type Child, startChild } from '@fluxrate/testkit';
import { userEnv } from '../../../scripts/pack-install.mjs';

/** Runs `node script …args` in `cwd` with a user's environment plus `env`. */
export function runScript(cwd: string, [script, ...args]: string[], env: Record<string, string> = {}): Child {
  if (!script) throw new TypeError('runScript: no script to run');
  const base = userEnv();
  delete base.NODE_PATH;
  delete base.NODE_OPTIONS;
  return startChild(script, args, { cwd, baseEnv: base, env, stdin: true });
}
