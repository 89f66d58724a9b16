// Child process for the store's concurrency test: records `count` synthetic runs into one database.
//   node bin/run-ts.mjs test/core/store/record-worker.ts <db> <prefix> <count>
import { recordRun } from '../../../src/core/store/store';
import { syntheticRun } from './synthetic-run';

const [db, prefix, count] = process.argv.slice(2);
(async () => {
  for (let i = 0; i < Number(count); i++) await recordRun(db!, syntheticRun(`${prefix}-${i}`, i), { pollMs: 2 });
})().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
