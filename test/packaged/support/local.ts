// A Fluxrate stand-in for the packaged suite: @fluxrate/local from the installed tarball, in its own
// process inside the project, on 127.0.0.1. The test reads back what it stored over its admin API and
// stalls it (suspend: connections refused; faults) through stdin commands.
import { type Child, type JsonLine, sleep } from '@fluxrate/testkit';
import { runScript } from './child.js';
import { packagedProject } from './project.js';
import { writeInProject } from './render.js';

const SERVER = `import { createInterface } from 'node:readline';
import { startLocalServer } from '@fluxrate/local';

const print = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
const server = await startLocalServer({ meters: { api_calls: {}, tokens: {} }, seed: 7 });
const meters = Object.fromEntries(Object.entries(server.meters).map(([name, m]) => [name, m.token]));
print({ event: 'ready', url: server.url, apiKey: server.apiKey, meters });
createInterface({ input: process.stdin }).on('line', async (text) => {
  const command = JSON.parse(text);
  if (command.do === 'suspend') await server.suspend();
  if (command.do === 'resume') await server.resume();
  if (command.do === 'faults') server.setFaults(command.faults);
  print({ event: command.do });
});
`;

export interface Stored {
  /** Events (Fluxrate requests that stored something) for the customer and meter. */
  events: number;
  /** Their total quantity. */
  total: number;
}

export interface Fluxrate {
  url: string;
  apiKey: string;
  meters: { api_calls: string; tokens: string };
  /** The tracker environment of an app billing this server. */
  env: Record<string, string>;
  stored(customer: string, meter?: string): Promise<Stored>;
  /** Polls `stored` until `test` holds (or `timeoutMs`), returning the last reading. */
  storedWhen(
    customer: string,
    test: (s: Stored) => boolean,
    timeoutMs?: number,
    meter?: string,
  ): Promise<Stored>;
  command(command: JsonLine & { do: 'suspend' | 'resume' | 'faults' }): Promise<unknown>;
  script: Child;
}

export async function startFluxrate(project: string): Promise<Fluxrate> {
  writeInProject(project, 'apps/fluxrate-server.mjs', SERVER);
  const script = runScript(project, ['apps/fluxrate-server.mjs']);
  const ready = await script.next('ready');
  const stored = async (customer: string, meter = 'api_calls'): Promise<Stored> => {
    const res = await fetch(`${ready.url}/__admin/events?customer=${customer}&meter=${meter}`);
    const events = (await res.json()) as { quantity: string }[];
    return { events: events.length, total: events.reduce((sum, e) => sum + Number(e.quantity), 0) };
  };
  return {
    url: ready.url,
    apiKey: ready.apiKey,
    meters: ready.meters,
    env: {
      FLUXRATE_BASE_URL: ready.url,
      FLUXRATE_API_KEY: ready.apiKey,
      METER_API_CALLS: ready.meters.api_calls,
      METER_TOKENS: ready.meters.tokens,
    },
    stored,
    async storedWhen(customer, test, timeoutMs = 10_000, meter = 'api_calls') {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const now = await stored(customer, meter);
        if (test(now) || Date.now() > until) return now;
        await sleep(50);
      }
    },
    command: (command) => script.ask(command),
    script,
  };
}

/** The installed project (packed and installed once per run) and a Fluxrate-local running inside it. */
export async function packagedFluxrate(): Promise<{ project: string; fx: Fluxrate }> {
  const project = await packagedProject();
  return { project, fx: await startFluxrate(project) };
}
