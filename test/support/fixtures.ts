import { type Child, startChild } from '@fluxrate/testkit';

/** Runs a script from test/fixtures (they import the built packages) with `env`, reading its JSON lines. */
export function runFixture(name: string, env: Record<string, string>): Child {
  return startChild(new URL(`../fixtures/${name}`, import.meta.url).pathname, [], { env });
}
