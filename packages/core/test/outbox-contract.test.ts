import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outboxContract } from '@fluxrate/testkit';
import { MemoryOutbox } from '../src/outbox/outbox-memory.js';
import { SqliteOutbox } from '../src/outbox/outbox-sqlite.js';

// The same suite runs against the Redis outbox in packages/redis/test/outbox-contract.test.ts.
outboxContract('memory', () => ({ durable: false, outbox: () => new MemoryOutbox() }));

outboxContract('SQLite (spool)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxrate-contract-'));
  return {
    durable: true,
    outbox: () => new SqliteOutbox(dir),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
});
