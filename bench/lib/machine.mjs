import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url);
// Bench dependencies first, then the root's (autocannon, tinybench).
const requires = [
  createRequire(new URL('../package.json', import.meta.url)),
  createRequire(new URL('package.json', root)),
];

function version(name) {
  for (const require of requires) {
    for (const path of require.resolve.paths(name) ?? []) {
      try {
        // Read from the folder: some packages (tinybench) do not export their package.json.
        return JSON.parse(readFileSync(join(path, name, 'package.json'), 'utf8')).version;
      } catch {
        // not in this node_modules: try the next one
      }
    }
  }
  return 'n/a';
}

function workspaceVersion(dir) {
  try {
    return JSON.parse(readFileSync(new URL(`packages/${dir}/package.json`, root), 'utf8')).version;
  } catch {
    return 'n/a';
  }
}

/** CPU model, cores, memory, Node and the versions of everything measured. */
export function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    packages: {
      '@fluxrate/core': workspaceVersion('core'),
      '@fluxrate/fastify': workspaceVersion('fastify'),
      '@fluxrate/express': workspaceVersion('express'),
      '@fluxrate/nestjs': workspaceVersion('nestjs'),
      '@fluxrate/local': workspaceVersion('local'),
      fastify: version('fastify'),
      express: version('express'),
      '@nestjs/core': version('@nestjs/core'),
      '@segment/analytics-node': version('@segment/analytics-node'),
      undici: version('undici'),
      autocannon: version('autocannon'),
      tinybench: version('tinybench'),
    },
  };
}
