// Runs the console's browser scenarios against a fresh `federa demo` in
// headless Chromium. Prints one line per scenario and a closing count;
// exits non-zero when any scenario fails.
//
//   FEDERA_BIN       the federa binary, also accepted as the first argument
//                    (default $CARGO_TARGET_DIR/debug/federa, else
//                    target/debug/federa)
//   CHROMIUM_PATH    the browser (default /usr/bin/chromium)
//   SCREENSHOTS_DIR  when set, full-page screenshots of the main pages go here
//   SCENARIO         when set, only scenarios whose name contains it run

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDemo } from './federation.mjs';
import { scenarios } from './scenarios.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// A path given on the command line or in FEDERA_BIN is taken from the
// current directory; the default one from the repository's root.
const given = process.argv[2] || process.env.FEDERA_BIN;
const binary = given
  ? resolve(given)
  : resolve(root, process.env.CARGO_TARGET_DIR || 'target', 'debug', 'federa');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const screenshotsDir = process.env.SCREENSHOTS_DIR ? resolve(process.env.SCREENSHOTS_DIR) : null;
const failuresDir = join(process.env.TMPDIR || tmpdir(), 'federa-console-failures');
const VIEWPORT = { width: 1280, height: 800 };
const SCENARIO_TIMEOUT_MS = 180_000;
const ACTION_TIMEOUT_MS = 15_000;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Saves `name`.png of the whole page into SCREENSHOTS_DIR, when it is set. */
function screenshots(page) {
  return {
    async save(name) {
      if (!screenshotsDir) return;
      mkdirSync(screenshotsDir, { recursive: true });
      // Let the view's data arrive before the picture is taken.
      await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
      await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
    },
  };
}

/** Keeps the page's screenshot and HTML after a failure; resolves to the paths written. */
async function keepFailure(page, name) {
  mkdirSync(failuresDir, { recursive: true });
  const base = join(failuresDir, slug(name));
  const written = [];
  try {
    await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
    written.push(`${base}.png`);
  } catch (error) {
    console.log(`  (no screenshot: ${error.message.split('\n')[0]})`);
  }
  try {
    writeFileSync(`${base}.html`, await page.content());
    written.push(`${base}.html`);
  } catch (error) {
    console.log(`  (no HTML: ${error.message.split('\n')[0]})`);
  }
  return written;
}

/** Rejects after `ms` so one stuck scenario cannot hold the run forever. */
function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${seconds(ms)}`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

async function runScenario(browser, federation, scenario) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const console_ = [];
  page.on('console', (message) => {
    if (message.type() === 'error') console_.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => console_.push(`page error: ${error.message}`));
  const started = Date.now();
  const limit = deadline(SCENARIO_TIMEOUT_MS, 'the scenario');
  try {
    await Promise.race([scenario.run({ page, context, federation, binary, shots: screenshots(page) }), limit.promise]);
    console.log(`ok      ${scenario.name} (${seconds(Date.now() - started)})`);
    return true;
  } catch (error) {
    console.log(`FAILED  ${scenario.name} (${seconds(Date.now() - started)})`);
    console.log(`  ${String(error.stack || error).split('\n').slice(0, 12).join('\n  ')}`);
    for (const line of console_.slice(-10)) console.log(`  ${line}`);
    for (const path of await keepFailure(page, scenario.name)) console.log(`  kept ${path}`);
    return false;
  } finally {
    limit.cancel();
    await context.close().catch(() => {});
  }
}

async function main() {
  const filter = process.env.SCENARIO;
  const chosen = scenarios.filter((scenario) => !filter || scenario.name.includes(filter));
  let browser = null;
  let federation = null;
  let stopping = null;
  const stop = async () => {
    stopping ??= (async () => {
      if (browser) await browser.close().catch(() => {});
      if (federation) {
        const started = Date.now();
        const status = await federation.stop();
        const how = status.error?.message ?? status.signal ?? `exit code ${status.code}`;
        console.log(`federa demo stopped in ${seconds(Date.now() - started)} (${how})`);
      }
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, async () => {
      console.log(`${signal}: stopping`);
      await stop();
      process.exit(130);
    });
  }

  // Only this run's failures are kept.
  rmSync(failuresDir, { recursive: true, force: true });
  let passed = 0;
  let failed = 0;
  try {
    const launched = Date.now();
    // The runner's own signal handlers close the browser, then the demo.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox'],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    console.log(`chromium ${browser.version()} started in ${seconds(Date.now() - launched)}`);
    console.log(`starting ${binary} demo`);
    federation = await startDemo(binary, { log: (line) => console.log(line) });
    console.log(`federa demo ready at ${federation.baseUrl} in ${seconds(federation.startupMs)}`);
    for (const scenario of chosen) {
      if (await runScenario(browser, federation, scenario)) passed += 1;
      else failed += 1;
    }
  } catch (error) {
    console.log(`FAILED  setting up: ${error.stack || error}`);
    failed += 1;
  } finally {
    await stop();
  }
  if (screenshotsDir && passed > 0) console.log(`screenshots in ${screenshotsDir}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main();
