/// <reference path="./lua.d.ts" />
// The Lua scripts the outbox and the forwarder run in Redis, each in its own `.lua` file (what it
// does, its KEYS and ARGV are described at the top of the file). The build inlines them as text
// (tsup's `loader: { '.lua': 'text' }`), and so does vitest for the source tests, so the package reads
// no file at runtime and works the same through `require()` and `import`.
import ACK from './lua/ack.lua';
import AGGREGATE from './lua/aggregate.lua';
import APPEND from './lua/append.lua';
import PAUSE from './lua/pause.lua';

/** Appends a batch atomically while the stream is below its bound, once per batch (`lua/append.lua`). */
export const APPEND_SCRIPT: string = APPEND;
/** Settles entries: XACK and XDEL in one step (`lua/ack.lua`). */
export const ACK_SCRIPT: string = ACK;
/** Closes a forwarder's aggregation window, all or nothing (`lua/aggregate.lua`). */
export const AGGREGATE_SCRIPT: string = AGGREGATE;
/** The fleet's 429 pause: keeps the longer of the stored and the new pause (`lua/pause.lua`). */
export const PAUSE_SCRIPT: string = PAUSE;
