#!/usr/bin/env node
import { run } from '../cli/run.js';
import { processIo } from '../cli/io.js';

// A reader that went away (`agentprov ... | head`) ends the output, not the process with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

process.exitCode = await run(process.argv.slice(2), processIo());
