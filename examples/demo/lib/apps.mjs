import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FRAMEWORKS = ['express', 'fastify', 'nestjs'];

const EXAMPLES = fileURLToPath(new URL('../../', import.meta.url));
// The apps are TypeScript; tsx is a dev dependency at the workspace root.
const TSX = import.meta.resolve('tsx');

/**
 * Starts one example app as a child process (`node --import tsx src/main.ts`) on a free port,
 * pointed at Fluxrate through its environment. Resolves once it prints its URL.
 */
export function startApp(framework, fluxrateEnv, { verbose = false, timeoutMs = 90_000 } = {}) {
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', ...fluxrateEnv };
  const child = spawn(process.execPath, ['--import', TSX, 'src/main.ts'], {
    cwd: `${EXAMPLES}${framework}`,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const app = { framework, child, url: undefined, output: [], report: undefined, exitCode: undefined };

  const onLine = (stream) => (line) => {
    app.output.push(`[${framework} ${stream}] ${line}`);
    if (verbose) console.log(`  [${framework}] ${line}`);
    if (line.startsWith('{')) {
      try {
        const parsed = JSON.parse(line);
        if (parsed.fluxrate === 'shutdown') app.report = parsed;
      } catch {}
    }
  };
  lines(child.stdout, onLine('out'));
  lines(child.stderr, onLine('err'));
  app.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      app.exitCode = code ?? signal;
      resolve(app.exitCode);
    }),
  );

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs / 1000} s`), timeoutMs);
    function fail(why) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`example-${framework} ${why}:\n${app.output.slice(-30).join('\n')}`));
    }
    child.stdout.on('data', () => {
      const match = app.output.map((l) => /listening on (http:\/\/\S+)/.exec(l)).find(Boolean);
      if (match && !app.url) {
        clearTimeout(timer);
        app.url = match[1];
        resolve(app);
      }
    });
    app.exited.then((code) => {
      if (!app.url) fail(`exited (${code}) before listening`);
    });
  });
}

/** SIGTERM, then wait for the app's shutdown report (SIGKILL after `timeoutMs`). */
export async function stopApp(app, timeoutMs = 30_000) {
  if (app.exitCode === undefined) app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), timeoutMs);
  await app.exited;
  clearTimeout(timer);
  return app.report;
}

function lines(stream, onLine) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop();
    for (const part of parts) onLine(part);
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}
