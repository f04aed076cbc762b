import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/forwarder-cli.js';

/** Runs the CLI in-process with `env` in place of the Fluxrate variables, capturing stderr. */
async function cli(env: Record<string, string | undefined>) {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const saved = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    const code = await runCli(['--redis', 'redis://127.0.0.1:1']);
    return { code, message: errors.mock.calls.map((c) => String(c[0])).join('\n') };
  } finally {
    process.env = saved;
    errors.mockRestore();
  }
}

describe('fluxrate-forwarder: flags', () => {
  it('--max-event-age-days must be a whole number of days >= 1', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await runCli(['--redis', 'redis://127.0.0.1:1', '--max-event-age-days', '0.5']);
      expect(code).toBe(2);
      expect(String(errors.mock.calls[0]?.[0])).toMatch(/--max-event-age-days expects an integer >= 1/);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('fluxrate-forwarder: --metrics-port flags', () => {
  it.each([
    [['--metrics-host', '127.0.0.1'], /--metrics-host needs --metrics-port/],
    [['--metrics-port', '0'], /--metrics-port expects an integer >= 1/],
    [['--metrics-port', 'abc'], /--metrics-port expects an integer >= 1/],
  ])('%j: exits 2 naming the flag', async (flags, message) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runCli(['--redis', 'redis://127.0.0.1:1', ...flags])).toBe(2);
      expect(String(errors.mock.calls[0]?.[0])).toMatch(message);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('fluxrate-forwarder: the environment it reads', () => {
  it('without FLUXRATE_API_KEY: exits 2 naming the variable, not the option `apiKey`', async () => {
    const { code, message } = await cli({ FLUXRATE_API_KEY: undefined });
    expect(code).toBe(2);
    expect(message).toMatch(/^fluxrate-forwarder: FLUXRATE_API_KEY is not set/);
    expect(message).not.toMatch(/apiKey/);
  });

  it('with a trailing newline in FLUXRATE_API_KEY: exits 2 naming the variable', async () => {
    const { code, message } = await cli({ FLUXRATE_API_KEY: 'org_live_abc\n' });
    expect(code).toBe(2);
    expect(message).toMatch(/^fluxrate-forwarder: FLUXRATE_API_KEY has leading or trailing whitespace/);
    expect(message).not.toMatch(/org_live_abc/);
  });

  it('with a bad FLUXRATE_BASE_URL: exits 2 naming the variable', async () => {
    const { code, message } = await cli({ FLUXRATE_API_KEY: 'org_live_abc', FLUXRATE_BASE_URL: 'not a url' });
    expect(code).toBe(2);
    expect(message).toMatch(/^fluxrate-forwarder: FLUXRATE_BASE_URL /);
  });
});
