// Preloaded (`node --import`) into the `unir run` child of run-and-kill.ts: right after history.jsonl gets the row of
// global step UNIR_TEST_STOP_AT, the process stops itself (SIGSTOP, every thread), so the test's SIGKILL lands at
// exactly that step however long a busy machine keeps the test's own process from looking.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const at = Number(process.env.UNIR_TEST_STOP_AT);
if (at > 0) {
  const append = fs.appendFileSync;
  const mark = `"globalStep":${at},`;
  fs.appendFileSync = function appendThenStop(path, data, ...rest) {
    append.call(this, path, data, ...rest);
    if (String(path).endsWith('history.jsonl') && String(data).includes(mark)) process.kill(process.pid, 'SIGSTOP');
  };
  syncBuiltinESMExports(); // `import { appendFileSync } from 'node:fs'` sees the wrapper too
}
