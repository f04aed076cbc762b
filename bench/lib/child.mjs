// The bench's child-process helper is the workspace's shared one (JSON lines on stdout: `ready()` is the
// first line, `stop()` sends SIGTERM and returns the report line). See packages/testkit/src/child.mjs.
export { startChild } from '../../packages/testkit/src/child.mjs';
