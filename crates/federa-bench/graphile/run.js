// Runs `jobs` no-op jobs through graphile-worker on the database at
// `connectionString`: `producers` clients add them one per transaction (as
// Federa takes one order per request) while one worker runs them with
// `concurrency`. Prints one JSON line: {"jobs": n, "seconds": s}, timed from
// the first add to the last completion.
const { makeWorkerUtils, run, Logger } = require("graphile-worker");

async function main() {
  const [connectionString, jobsArg, concurrencyArg, producersArg, limitArg] =
    process.argv.slice(2);
  const total = Number(jobsArg);
  const concurrency = Number(concurrencyArg);
  const producers = Number(producersArg);
  const limitMs = Number(limitArg) * 1000;
  const logger = new Logger(() => () => {});

  const utils = await makeWorkerUtils({ connectionString, logger });
  await utils.migrate();

  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const runner = await run({
    connectionString,
    concurrency,
    // Covers the producers and the worker without queueing for a connection.
    maxPoolSize: concurrency + 2,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
    taskList: {
      noop: async () => {
        done += 1;
        if (done === total) finish();
      },
    },
  });

  const started = process.hrtime.bigint();
  let next = 0;
  const adders = Array.from({ length: producers }, async () => {
    while (next < total) {
      const n = next++;
      await utils.addJob("noop", { n });
    }
  });
  await Promise.all(adders);
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, limitMs)));
  await Promise.race([finished, timeout]);
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  await runner.stop();
  await utils.release();
  console.log(JSON.stringify({ jobs: done, seconds }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
