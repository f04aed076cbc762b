#!/usr/bin/env node
// A committed shim: the bin works from a fresh install and points at the built CLI.
import { runCli } from '../dist/forwarder-cli.js';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
