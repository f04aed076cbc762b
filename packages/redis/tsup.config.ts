import { packageConfig } from '../../tsup.shared.js';

const config = packageConfig(['src/index.ts', 'src/forwarder-cli.ts']);

// The Lua scripts (src/lua/*.lua) are inlined as strings: nothing is read from disk at runtime.
export default { ...config, loader: { '.lua': 'text' as const } };
