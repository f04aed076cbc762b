/** A Lua script's source, inlined as text by the build (tsup) and by vitest. */
declare module '*.lua' {
  const source: string;
  export default source;
}
