// What a consumer does in the web console, scenario by scenario. Pages are
// found the way a person finds them: by labels, roles and visible text.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  agents,
  createConsumer,
  orderService,
  participantNamed,
  participantToken,
  serviceType,
  servicesNamed,
} from './federation.mjs';
import { startSingleSignOn } from './sso.mjs';

const WEBSITE = 'Static website';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2 A and AA violations axe-core finds on the page as it is now. */
async function accessibilityViolations(page) {
  // Evaluated through the debugging protocol, which the console's
  // Content-Security-Policy does not govern.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  });
}
const CONTENT_LABEL = 'Home page (HTML)';
const UI_TIMEOUT_MS = 15_000;
const JOB_TIMEOUT_MS = 60_000;

/** Polls `probe` until it returns a truthy value; throws `message` after `timeout` ms. */
async function waitUntil(probe, { timeout = UI_TIMEOUT_MS, interval = 250, message }) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${message} (after ${timeout / 1000} s; last: ${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Waits for the page's one h1 to read `name`. A view the router renders
 * again (a redirect to the page already shown) replaces its h1, so the
 * count is taken until it settles on one, and fails if it never does.
 */
async function expectHeading(page, name, timeout = UI_TIMEOUT_MS) {
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor({ timeout });
  await waitUntil(async () => {
    const headings = await page.getByRole('heading', { level: 1 }).count();
    const named = await page.getByRole('heading', { level: 1, name, exact: true }).count();
    return headings === 1 && named === 1;
  }, { timeout, interval: 50, message: `the page did not settle on one h1 reading ${name}` });
}

/** The visible text of the first role=alert on the page, once there is one. */
async function alertText(page, timeout = UI_TIMEOUT_MS) {
  const alert = page.getByRole('alert').filter({ hasText: /\S/ }).first();
  await alert.waitFor({ timeout });
  return (await alert.innerText()).trim();
}

/** The `<dd>` after the `<dt>` "Status" on a service page. */
function statusValue(page) {
  return page
    .locator('dl dt', { hasText: /^\s*Status\s*$/ })
    .first()
    .locator('xpath=following-sibling::dd[1]');
}

/** Waits until the service page, refreshing itself, shows `status`. */
async function expectStatus(page, status) {
  const value = statusValue(page);
  await waitUntil(async () => (await value.innerText()).trim() === status, {
    timeout: JOB_TIMEOUT_MS,
    interval: 500,
    message: `the service's status did not become ${status}`,
  });
}

/** The section link in the `Sections` navigation. */
function section(page, name) {
  return page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });
}

/** Opens /console/, failing at once when the server does not serve it. */
async function openConsole(page, federation) {
  const response = await page.goto(federation.consoleUrl);
  assert.ok(response?.ok(), `GET ${federation.consoleUrl} answered ${response?.status()}`);
}

/** Signs in at /console/ with `token` and waits for the Overview. */
export async function signIn(page, federation, token = federation.consumerToken) {
  await openConsole(page, federation);
  await page.getByLabel('API token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectHeading(page, 'Overview');
}

/** From a signed-in page: Catalogue → the Static website's "Order" → the order form. */
async function openWebsiteOrderForm(page, shots) {
  await section(page, 'Catalogue').click();
  await expectHeading(page, 'Catalogue');
  await shots.save('catalogue');
  const card = page.getByRole('article').filter({
    has: page.getByRole('heading', { level: 2, name: WEBSITE, exact: true }),
  });
  await card.getByRole('link', { name: 'Order', exact: true }).click();
  await expectHeading(page, `Order ${WEBSITE}`);
}

/** A name no other test run used. */
function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export const scenarios = [
  {
    name: 'a consumer signs in and sees the Overview',
    async run({ page, federation, shots }) {
      await signIn(page, federation);
      await shots.save('overview');
      assert.equal(
        await page.evaluate(() => sessionStorage.getItem('federa.token')),
        federation.consumerToken,
        'the token is kept in sessionStorage under federa.token',
      );
      // Sections a role may not use are left out of the navigation.
      const events = section(page, 'Events');
      if ((await events.count()) > 0) await events.click();
      else await page.goto(`${federation.consoleUrl}#/events`);
      await expectHeading(page, 'Events');
      assert.match(page.url(), /#\/events$/);
      // The live tail: an event made behind the page's back appears on top.
      const newest = async () => Number((await page.locator('tbody tr').first().locator('td').first().innerText()).trim());
      const before = await newest();
      const api = federation.api(federation.consumerToken);
      const { participantId } = await api.get('/session');
      const groupName = uniqueName('live-tail');
      await api.post('/service-groups', { name: groupName, consumerId: participantId });
      await waitUntil(async () => (await newest()) > before, { message: 'the new event did not appear in the live tail' });
      await page.getByRole('cell', { name: 'service_group.created' }).first().waitFor();
      // Entities read by name, the new group in the live tail too; never
      // by the time prefix all UUIDv7s share.
      const entityCells = page.locator('tbody tr td:nth-child(4)');
      await waitUntil(async () => (await entityCells.first().innerText()).trim() === groupName, {
        message: `the live tail does not name the new group ${groupName}`,
      });
      const named = (await entityCells.allInnerTexts()).map((text) => text.trim()).filter((text) => text && text !== '—');
      assert.ok(new Set(named).size > 1, `every entity reads alike: ${named}`);
      const demoServices = Object.keys(federation.services);
      assert.ok(named.some((text) => demoServices.includes(text)), `no demo service is named among ${named}`);
      // A job's events carry no name of their own: they read as their service.
      const jobEntities = await page.locator('tbody tr', { has: page.getByRole('cell', { name: /^job\./ }) })
        .locator('td:nth-child(4)').allInnerTexts();
      assert.ok(jobEntities.length > 0, 'the log shows job events');
      assert.deepEqual(jobEntities.filter((text) => !demoServices.includes(text.trim())), [], 'a job event names no service');
      assert.deepEqual(named.filter((text) => /^[0-9a-f]{8}$/.test(text)), [], 'an entity reads as an id prefix');
      await shots.save('events');
    },
  },
  {
    name: 'a bad token is refused with an alert',
    async run({ page, federation }) {
      await openConsole(page, federation);
      await page.getByLabel('API token', { exact: true }).fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      assert.ok(await alertText(page), 'the alert has text');
      await page.getByLabel('API token', { exact: true }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('federa.token')), null);
    },
  },
  {
    name: 'a static website ordered through the form starts and stops',
    async run({ page, federation, shots }) {
      await signIn(page, federation);
      await openWebsiteOrderForm(page, shots);
      const name = uniqueName('browser-site');
      await page.getByLabel('Service name', { exact: true }).fill(name);
      await page.getByLabel(CONTENT_LABEL, { exact: true }).fill('<h1>Ordered in a browser</h1>');
      assert.notEqual(
        await page.getByLabel('Group', { exact: true }).inputValue(),
        '',
        "the consumer's only group is preselected",
      );
      const agent = page.getByLabel('Agent', { exact: true });
      const values = await agent.locator('option').evaluateAll((options) => options.map((o) => o.value));
      assert.equal(values[0], '', 'the first Agent option is automatic placement');
      // The demo's consumer runs no agent, so the exchange places the order.
      assert.deepEqual(values, [''], 'the consumer is offered only automatic placement');
      // Asked for with the placement rules in view, the answer shows there
      // too: beside them, not below the whole form.
      const strategy = page.getByLabel('Strategy', { exact: true });
      await strategy.scrollIntoViewIfNeeded();
      const previewButton = page.getByRole('button', { name: 'Preview placement', exact: true });
      await previewButton.click();
      const preview = page.getByRole('status').filter({ hasText: 'Would run with' });
      await preview.waitFor({ timeout: UI_TIMEOUT_MS });
      // The cheapest of the demo's three offerings, explained by names:
      // the provider and the agent that would run it, never an id.
      const said = await preview.innerText();
      assert.match(said, /Aurora Cloud Oy \(FI\) in fi-hel-1 at €0\.012 per hour/);
      const aurora = await participantNamed(federation, 'Aurora Cloud Oy');
      const auroraAgents = (await agents(federation)).filter((a) => a.providerId === aurora.id).map((a) => a.name);
      assert.ok(auroraAgents.some((name) => said.includes(`via agent ${name} `)), `the preview names no agent of ${auroraAgents}: ${said}`);
      assert.doesNotMatch(said, /[0-9a-f]{8}-[0-9a-f]{4}-/, 'the preview shows an id');
      const inView = async (locator) => {
        const box = await locator.boundingBox();
        return box && box.y >= 0 && box.y + box.height <= page.viewportSize().height;
      };
      assert.ok(await inView(strategy), 'the placement rules stay in view');
      const answer = preview.getByText('Would run with');
      assert.ok(await inView(answer), `the answer is out of view at ${JSON.stringify(await answer.boundingBox())}`);
      const orderBox = await page.getByRole('button', { name: 'Order', exact: true }).boundingBox();
      assert.ok((await answer.boundingBox()).y < orderBox.y, 'the answer is under the Order button');
      await shots.save('order');

      await page.getByRole('button', { name: 'Order', exact: true }).click();
      await expectHeading(page, name);
      assert.match(page.url(), /#\/services\/[0-9a-f-]{36}$/);
      const id = page.url().split('/').pop();
      const ordered = await federation.api(federation.consumerToken).get(`/services/${id}`);
      assert.equal(ordered.name, name);
      assert.equal(
        (await page.locator('#service-status').innerText()).trim(),
        (await statusValue(page).innerText()).trim(),
        'the Status value is the element with id service-status',
      );
      await expectStatus(page, 'Stopped');
      // An ordered service is created Stopped; the page says what runs it.
      await page.getByRole('status').filter({ hasText: 'The service is created but not running: Start runs it.' })
        .waitFor({ timeout: UI_TIMEOUT_MS });

      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await expectStatus(page, 'Started');
      // Once started, "Start requested" gives way to the outcome.
      await page.getByRole('status').filter({ hasText: 'Start done; the service is Started.' })
        .waitFor({ timeout: UI_TIMEOUT_MS });
      assert.equal(await page.getByText('Start requested', { exact: false }).count(), 0, 'no stale request notice');
      await shots.save('service');
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await expectStatus(page, 'Stopped');

      // Changing a property queues an update that the agent carries out.
      const api = federation.api(federation.consumerToken);
      const editForm = page.getByRole('form', { name: 'Change properties' });
      assert.ok(await editForm.getByLabel('Program', { exact: true }).isDisabled(), 'an immutable property is locked');
      await editForm.getByLabel(CONTENT_LABEL, { exact: true }).fill('<h1>Changed in a browser</h1>');
      await editForm.getByRole('button', { name: 'Save changes', exact: true }).click();
      await waitUntil(async () => {
        const jobs = await api.get(`/jobs?serviceId=${id}&action=update`);
        return jobs.items[0]?.status === 'Completed';
      }, { timeout: JOB_TIMEOUT_MS, message: 'the update job did not complete' });
      const changed = await api.get(`/services/${id}`);
      assert.equal(changed.properties.content, '<h1>Changed in a browser</h1>');
      assert.equal(changed.properties.program, 'static-site', 'only what changed was sent');
    },
  },
  {
    name: 'an order with an empty required property shows the API message',
    async run({ page, federation, shots }) {
      const api = federation.api(federation.consumerToken);
      const type = await serviceType(api, WEBSITE);
      const groups = await api.list('/service-groups');
      assert.ok(groups.length > 0, 'the demo consumer has a service group');
      // What the API itself says about an empty or a missing home page; the
      // form may send either, and must show the API's words for it.
      const refusals = [];
      for (const properties of [{ content: '' }, {}]) {
        const answer = await api.request('POST', '/services', {
          name: uniqueName('never-created'),
          serviceTypeId: type.id,
          groupId: groups[0].id,
          properties,
        });
        assert.equal(answer.status, 400, `the API refuses ${JSON.stringify(properties)}`);
        refusals.push(answer.body.errors.filter((error) => error.path.includes('content')));
      }

      await signIn(page, federation);
      await openWebsiteOrderForm(page, shots);
      const formUrl = page.url();
      const name = uniqueName('invalid-site');
      await page.getByLabel('Service name', { exact: true }).fill(name);
      await page.getByLabel(CONTENT_LABEL, { exact: true }).fill('');
      await page.getByRole('button', { name: 'Order', exact: true }).click();

      const text = await alertText(page);
      assert.match(text, /content/, `the alert names the property: ${JSON.stringify(text)}`);
      const matching = refusals.find(
        (errors) => errors.length > 0 && errors.every((error) => text.includes(`${error.path}: ${error.message}`)),
      );
      assert.ok(
        matching,
        `the alert ${JSON.stringify(text)} lists the API's errors as "path: message", one of ${JSON.stringify(refusals)}`,
      );
      assert.equal(page.url(), formUrl, 'the page stays on the order form');
      await expectHeading(page, `Order ${WEBSITE}`);
      assert.deepEqual(await servicesNamed(api, name), [], 'no service was created');
    },
  },
  {
    name: "a consumer sees neither another consumer's services nor their page",
    async run({ page, federation, shots }) {
      const other = await createConsumer(federation, uniqueName('Other Consumer'));
      const type = await serviceType(other.api, WEBSITE);
      const [agent] = await agents(federation);
      assert.ok(agent, 'the demo has agents');
      const otherName = uniqueName('other-consumer-site');
      const ordered = await orderService(other.api, {
        name: otherName,
        serviceTypeId: type.id,
        groupId: other.groupId,
        agentId: agent.id,
        properties: { content: '<p>x</p>' },
      });
      assert.equal(ordered.name, otherName);

      await signIn(page, federation);
      await section(page, 'Services').click();
      await expectHeading(page, 'Services');
      const table = page.getByRole('table');
      await table.getByRole('link', { name: 'welcome-site', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      assert.equal(
        await table.getByRole('link', { name: otherName, exact: true }).count(),
        0,
        "the other consumer's service is not listed",
      );
      assert.equal(await page.getByText(otherName).count(), 0, "the other consumer's service name is not shown");
      await shots.save('services');

      await page.goto(`${federation.consoleUrl}#/services/${ordered.id}`);
      assert.ok(await alertText(page), 'the alert has text');
      assert.equal(
        await page.getByRole('heading', { level: 1, name: otherName }).count(),
        0,
        "the other consumer's service is not shown",
      );
      assert.equal(await page.getByText(otherName).count(), 0, "the other consumer's service name is not shown");
    },
  },
  {
    name: 'the console works from the keyboard alone',
    async run({ page, federation }) {
      await openConsole(page, federation);
      // The token field has the focus on arrival; Enter submits.
      await page.keyboard.type(federation.consumerToken);
      await page.keyboard.press('Enter');
      await expectHeading(page, 'Overview');
      // Tab reaches the sections; Enter follows one, and focus moves to the
      // new view's heading.
      let focused = '';
      for (let presses = 0; presses < 20 && focused !== 'Catalogue'; presses += 1) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      }
      assert.equal(focused, 'Catalogue', 'Tab reaches the Catalogue section');
      await page.keyboard.press('Enter');
      await expectHeading(page, 'Catalogue');
      await waitUntil(async () => page.evaluate(() => document.activeElement?.tagName === 'H1'), {
        message: 'the focus moves to the new heading',
      });
    },
  },
  {
    name: 'every main page passes the WCAG 2.1 A and AA checks of axe-core, at desktop and phone widths',
    async run({ page, federation }) {
      const found = [];
      await openConsole(page, federation);
      await page.getByLabel('API token', { exact: true }).waitFor();
      for (const violation of await accessibilityViolations(page)) found.push(`sign-in: ${violation}`);
      await signIn(page, federation);
      const api = federation.api(federation.consumerToken);
      const type = await serviceType(api, WEBSITE);
      const pages = [
        ['#/overview', 'Overview'], ['#/catalogue', 'Catalogue'], [`#/catalogue/${type.id}/order`, `Order ${WEBSITE}`],
        ['#/services', 'Services'], [`#/services/${federation.services['welcome-site']}`, 'welcome-site'],
        ['#/compositions', 'Compositions'], ['#/switches', 'Switches'], ['#/billing', 'Billing'], ['#/tokens', 'Tokens'],
        ['#/events', 'Events'],
      ];
      for (const viewport of [{ width: 1280, height: 800 }, { width: 375, height: 740 }]) {
        await page.setViewportSize(viewport);
        for (const [hash, heading] of pages) {
          await page.goto(`${federation.consoleUrl}${hash}`);
          await expectHeading(page, heading);
          await page.waitForLoadState('networkidle').catch(() => {});
          for (const violation of await accessibilityViolations(page)) found.push(`${viewport.width}px ${hash}: ${violation}`);
          // Nothing runs off the side at phone width except inside scrolling tables.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(overflow <= 1, `${hash} at ${viewport.width}px is ${overflow}px wider than the screen`);
        }
      }
      assert.deepEqual(found, [], found.join('\n'));
    },
  },
  {
    name: "a running service's metrics are charted",
    async run({ page, federation, shots }) {
      await signIn(page, federation);
      const id = federation.services['welcome-site'];
      assert.ok(id, 'the demo lists welcome-site');
      await page.goto(`${federation.consoleUrl}#/services/${id}`);
      await expectHeading(page, 'welcome-site');
      // The demo's agents report every 10 s; the page redraws its charts.
      const chart = page.getByRole('img', { name: /^rss_bytes \(process\), average per minute: \d+ points?, latest \d/ });
      await chart.waitFor({ timeout: JOB_TIMEOUT_MS });
      assert.ok((await chart.locator('path.line').count()) === 1, 'the chart draws its line');
      // Usage is never negative, so no axis reads below zero, flat series included.
      const labels = await page.locator('.charts svg text').allTextContents();
      assert.ok(labels.length > 0, 'the charts label their axes');
      assert.ok(labels.every((label) => !label.trim().startsWith('-')), `axis labels: ${labels}`);
      await shots.save('metrics');
    },
  },
  {
    name: 'a consumer sees only the sections it can use; a provider also its agents and statement',
    async run({ page, context, federation, shots }) {
      await signIn(page, federation);
      const shown = async () => page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allInnerTexts();
      assert.deepEqual(await shown(), ['Overview', 'Catalogue', 'Orders', 'Projects', 'Services', 'Compositions', 'Switches', 'Billing', 'People', 'Webhooks', 'Tokens', 'Events']);
      // The API lets a participant list its agents and read its statement,
      // but one that provides nothing has neither: the console leaves them out.
      const api = federation.api(federation.consumerToken);
      assert.equal((await api.get('/agents')).totalItems, 0, 'the demo consumer runs no agent');
      await page.goto(`${federation.consoleUrl}#/agents`);
      await expectHeading(page, 'Overview');
      assert.equal(await page.getByRole('heading', { name: 'Agents by status' }).count(), 0, 'the Overview counts no agents');
      await section(page, 'Billing').click();
      await expectHeading(page, 'Billing');
      await page.getByRole('heading', { level: 2, name: /^Invoice — total/ }).waitFor();
      assert.equal(await page.getByRole('heading', { level: 2, name: /^Statement/ }).count(), 0, 'no statement for a consumer');
      await section(page, 'Tokens').click();
      await expectHeading(page, 'Tokens');
      const roles = await page.getByLabel('Role', { exact: true }).locator('option').allInnerTexts();
      assert.deepEqual(roles, ['participant'], 'a consumer makes no agent tokens');
      await shots.save('consumer-sections');

      const aurora = await participantNamed(federation, 'Aurora Cloud Oy');
      const providerPage = await context.newPage();
      await signIn(providerPage, federation, await participantToken(federation, aurora.id, uniqueName('aurora console')));
      const providerSections = await providerPage.getByRole('navigation', { name: 'Sections' }).getByRole('link').allInnerTexts();
      assert.ok(providerSections.includes('Agents'), `a provider's sections: ${providerSections}`);
      await section(providerPage, 'Agents').click();
      await expectHeading(providerPage, 'Agents');
      await providerPage.getByRole('cell', { name: 'fi agent', exact: true }).waitFor();
      await section(providerPage, 'Billing').click();
      await providerPage.getByRole('heading', { level: 2, name: /^Statement — total €/ }).waitFor();
    },
  },
  {
    name: 'an admin picks whose bills to read from the participants',
    async run({ page, federation, shots }) {
      await signIn(page, federation, federation.adminToken);
      await section(page, 'Billing').click();
      await expectHeading(page, 'Billing');
      const picker = page.getByLabel('Participant', { exact: true });
      assert.equal(await picker.evaluate((node) => node.tagName), 'SELECT', 'the participant is picked, not typed');
      const offered = await picker.locator('option').allInnerTexts();
      const { participantName } = await federation.api(federation.consumerToken).get('/session');
      for (const name of ['Aurora Cloud Oy', participantName]) assert.ok(offered.includes(name), `${name} is not offered: ${offered}`);
      // Nothing picked: the form says so instead of asking the API.
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      assert.match(await alertText(page), /Choose the participant/);
      await picker.selectOption({ label: 'Aurora Cloud Oy' });
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      await page.getByRole('heading', { level: 2, name: /^Statement — total €/ }).waitFor();
      await page.getByRole('heading', { level: 2, name: /^Invoice — total €/ }).waitFor();
      await shots.save('admin-billing');
    },
  },
  {
    name: 'the filter fields of the services list look alike',
    async run({ page, federation }) {
      await signIn(page, federation);
      await section(page, 'Services').click();
      await expectHeading(page, 'Services');
      const look = (label) => page.getByLabel(label, { exact: true }).evaluate((node) => {
        const style = getComputedStyle(node);
        return {
          border: `${style.borderTopWidth} ${style.borderTopStyle} ${style.borderTopColor}`,
          radius: style.borderTopLeftRadius,
          padding: `${style.paddingTop} ${style.paddingLeft}`,
          font: `${style.fontSize} ${style.fontFamily}`,
          height: Math.round(node.getBoundingClientRect().height),
        };
      });
      assert.deepEqual(await look('Name contains'), await look('Status'));
    },
  },
  {
    name: 'at phone width the header stays short and every section is reachable',
    async run({ page, federation, shots }) {
      await page.setViewportSize({ width: 390, height: 844 });
      await signIn(page, federation);
      const header = page.getByRole('banner');
      const height = (await header.boundingBox()).height;
      console.log(`  header at 390x844: ${height}px`);
      assert.ok(height <= 80, `the header is ${height}px tall at 390px wide`);
      await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
      assert.ok(await page.getByText(/\(participant\)$/).isVisible(), 'who is signed in is shown');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `the page is ${overflow}px wider than the screen`);
      // The sections scroll sideways in one row; the last is reachable.
      await section(page, 'Events').click();
      await expectHeading(page, 'Events');
      await shots.save('phone-header');
    },
  },
  {
    name: 'single sign-on through the issuer signs a participant in',
    async run({ page, binary, shots }) {
      const sso = await startSingleSignOn(binary, 'Sso Consumer');
      try {
        await page.goto(sso.consoleUrl);
        await page.getByRole('button', { name: 'Sign in with single sign-on', exact: true }).click();
        await page.getByRole('heading', { level: 1, name: 'Example ID' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await page.getByRole('link', { name: 'Continue as Sso Consumer', exact: true }).click();
        await expectHeading(page, 'Overview');
        await page.getByText('Sso Consumer (participant)', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
        const url = new URL(page.url());
        assert.equal(url.search, '', 'the authorization code is gone from the address bar');
        const bearer = await page.evaluate(() => sessionStorage.getItem('federa.token'));
        assert.equal(bearer.split('.').length, 3, 'the issuer\'s access token is the bearer');
        assert.ok(sso.issuer.seen.includes('POST /token'), 'the code was exchanged at the token endpoint');
      } finally {
        await sso.stop();
      }
    },
  },
  {
    name: 'an order past its project threshold is approved in the console, accepted by its provider, runs and is billed at its quote',
    async run({ page, context, federation, shots }) {
      const consumer = federation.api(federation.consumerToken);
      const admin = federation.api(federation.adminToken);
      const { participantId } = await consumer.get('/session');
      // Two projects with budgets: orders in Research above 5.00 EUR a
      // month wait for an approver.
      const research = await consumer.post('/projects', {
        consumerId: participantId, name: uniqueName('Research'), approvalThreshold: '5.00', monthlyBudget: '20.00',
      });
      const teaching = await consumer.post('/projects', {
        consumerId: participantId, name: uniqueName('Teaching'), monthlyBudget: '50.00',
      });
      const groupIn = async (project) => (await consumer.post('/service-groups', {
        name: uniqueName('group'), consumerId: participantId, projectId: project.id,
      })).id;
      const [researchGroup, teachingGroup] = [await groupIn(research), await groupIn(teaching)];
      const personOf = async (role) => {
        const user = await admin.post('/users', { name: uniqueName(role) });
        await admin.post('/memberships', { userId: user.id, participantId, role });
        const personal = await admin.post(`/users/${user.id}/tokens`, { name: role, participantId });
        return { id: user.id, name: user.name, api: federation.api(personal.value), token: personal.value };
      };
      const member = await personOf('member');
      const approver = await personOf('approver');
      // A provider's offering that asks it to accept each order itself.
      const aurora = await participantNamed(federation, 'Aurora Cloud Oy');
      const auroraToken = await participantToken(federation, aurora.id, uniqueName('aurora orders'));
      const provider = federation.api(auroraToken);
      const type = await serviceType(consumer, WEBSITE);
      const offering = await provider.post('/offerings', {
        participantId: aurora.id, serviceTypeId: type.id, regions: ['fi-hel-1'],
        price: { hourly: '0.020' }, requiresAcceptance: true,
      });

      // 0.020 EUR an hour is 14.60 a month: past Research's threshold.
      const name = uniqueName('approved-site');
      const placed = await member.api.post('/orders', {
        name, serviceTypeId: type.id, groupId: researchGroup, offeringId: offering.id,
        properties: { content: '<p>approved</p>' },
      });
      assert.equal(placed.quote.monthlyEstimate, '14.60');
      const waiting = await member.api.post(`/orders/${placed.id}/accept`, {});
      assert.equal(waiting.state, 'AwaitingApproval', 'the quote is above the project\'s threshold');

      // The approver approves from the Orders page.
      await signIn(page, federation, approver.token);
      await section(page, 'Orders').click();
      await expectHeading(page, 'Orders');
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
      await row.getByText('AwaitingApproval', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      await row.getByRole('cell', { name: research.name, exact: true }).waitFor();
      await row.getByText('€14.60', { exact: true }).waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], 'the Orders page has no WCAG A/AA violations');
      await shots.save('orders');
      await row.getByRole('button', { name: `Approve ${name}`, exact: true }).click();
      await page.getByRole('status').filter({ hasText: `Order of ${name} is now AwaitingProvider.` })
        .waitFor({ timeout: UI_TIMEOUT_MS });
      const approved = await consumer.get(`/orders/${placed.id}`);
      assert.equal(approved.decidedBy, approver.id, 'the approver is recorded as the one who decided');

      // The provider accepts it from its own Orders page.
      const providerPage = await context.newPage();
      await signIn(providerPage, federation, auroraToken);
      await section(providerPage, 'Orders').click();
      await expectHeading(providerPage, 'Orders');
      const providerRow = providerPage.getByRole('row').filter({ has: providerPage.getByRole('cell', { name, exact: true }) });
      await providerRow.getByRole('button', { name: `Accept ${name}`, exact: true }).click();
      await providerPage.getByRole('status').filter({ hasText: `Order of ${name} is now Provisioning.` })
        .waitFor({ timeout: UI_TIMEOUT_MS });
      await providerPage.close();

      // The provider's agent creates the service, and it runs.
      let order = null;
      await waitUntil(async () => (order = await consumer.get(`/orders/${placed.id}`)).state === 'Done', {
        timeout: JOB_TIMEOUT_MS, message: 'the order did not reach Done',
      });
      const from = new Date(Date.now() - 60_000).toISOString();
      await consumer.post(`/services/${order.serviceId}/start`, {});
      await waitUntil(async () => (await consumer.get(`/services/${order.serviceId}`)).status === 'Started', {
        timeout: JOB_TIMEOUT_MS, message: 'the approved service did not start',
      });

      // Raising the price leaves the invoice at the quoted one.
      const raised = await provider.call('PATCH', `/offerings/${offering.id}`, { price: { hourly: '0.500' } });
      assert.equal(raised.version, 2, 'a new price is a new version');
      const to = new Date(Date.now() + 60_000).toISOString();
      const invoice = await consumer.get(`/invoices?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&projectId=${research.id}`);
      const lines = invoice.lines.filter((line) => line.serviceId === order.serviceId);
      assert.ok(lines.length > 0, `no invoice line for the approved service: ${JSON.stringify(invoice)}`);
      for (const line of lines) assert.equal(Number(line.unitPrice), 0.02, `billed at the quoted price: ${JSON.stringify(line)}`);

      // The console's invoice says what Research comes to.
      await section(page, 'Billing').click();
      await expectHeading(page, 'Billing');
      const byProject = page.getByRole('table', { name: 'By project' });
      await byProject.getByRole('cell', { name: research.name, exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });

      // Teaching has its own budget: an order there goes through at once.
      const taught = await member.api.post('/orders', {
        name: uniqueName('teaching-site'), serviceTypeId: type.id, groupId: teachingGroup,
        properties: { content: '<p>taught</p>' },
      });
      assert.equal((await member.api.post(`/orders/${taught.id}/accept`, {})).state, 'Provisioning');

      // A second Research order would take its forecast past 20.00: the
      // approver's approval is refused, naming the budget.
      const second = await member.api.post('/orders', {
        name: uniqueName('over-budget'), serviceTypeId: type.id, groupId: researchGroup,
        properties: { content: '<p>too much</p>' },
      });
      assert.equal((await member.api.post(`/orders/${second.id}/accept`, {})).state, 'AwaitingApproval');
      const refused = await approver.api.request('POST', `/orders/${second.id}/approve`, {});
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.quota.name, 'project.monthlyBudget');
      assert.equal(refused.body.quota.projectId, research.id);
      assert.equal(refused.body.quota.forecast, '14.60');

      // The People page names who belongs to the consumer, by role.
      await section(page, 'People').click();
      await expectHeading(page, 'People');
      const approverRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: approver.name, exact: true }) });
      await approverRow.getByRole('cell', { name: 'approver', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      assert.deepEqual(await accessibilityViolations(page), [], 'the People page has no WCAG A/AA violations');

      // The Projects page shows each budget beside its forecast.
      await section(page, 'Projects').click();
      await expectHeading(page, 'Projects');
      const researchRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: research.name, exact: true }) });
      await researchRow.getByRole('cell', { name: '€20.00', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      await researchRow.getByRole('cell', { name: '€14.60', exact: true }).waitFor();
      const teachingRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: teaching.name, exact: true }) });
      await teachingRow.getByRole('cell', { name: '€50.00', exact: true }).waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], 'the Projects page has no WCAG A/AA violations');
      await shots.save('projects');
    },
  },
  {
    name: 'an order of two services shows each item and their total in the console and is accepted whole',
    async run({ page, federation }) {
      const consumer = federation.api(federation.consumerToken);
      const { participantId } = await consumer.get('/session');
      const type = await serviceType(consumer, WEBSITE);
      const group = (await consumer.post('/service-groups', { name: uniqueName('pair'), consumerId: participantId })).id;
      const [first, second] = [uniqueName('pair-a'), uniqueName('pair-b')];
      const item = (name) => ({ name, serviceTypeId: type.id, groupId: group, properties: { content: `<p>${name}</p>` } });
      const placed = await consumer.post('/orders', { items: [item(first), item(second)] });
      assert.equal(placed.lines.length, 2, JSON.stringify(placed));
      const total = placed.lines.reduce((sum, line) => sum + Number(line.quote.monthlyEstimate), 0);
      assert.equal(placed.monthlyEstimate, total.toFixed(2), 'the order\'s estimate is its lines\' total');

      await signIn(page, federation, federation.consumerToken);
      await section(page, 'Orders').click();
      await expectHeading(page, 'Orders');
      const names = `${first}, ${second}`;
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: names, exact: true }) });
      await row.getByText(`€${placed.monthlyEstimate}`, { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      await row.getByRole('button', { name: `Accept ${names}`, exact: true }).click();
      await page.getByRole('status').filter({ hasText: `Order of ${names} is now` }).waitFor({ timeout: UI_TIMEOUT_MS });
      const moved = await consumer.get(`/orders/${placed.id}`);
      assert.ok(['Provisioning', 'AwaitingProvider', 'Done'].includes(moved.state), `accepted whole: ${JSON.stringify(moved)}`);
      if (moved.state !== 'AwaitingProvider') {
        assert.ok(moved.lines.every((line) => line.serviceId), `every line has its service: ${JSON.stringify(moved)}`);
      }
    },
  },
  {
    name: 'a consumer subscribes a webhook endpoint, sees its secret once and reads its deliveries',
    async run({ page, federation, shots }) {
      await signIn(page, federation);
      await section(page, 'Webhooks').click();
      await expectHeading(page, 'Webhooks');
      // Nothing listens on port 9: each delivery fails and is logged.
      const url = `http://127.0.0.1:9/${uniqueName('hook')}`;
      await page.getByLabel('Endpoint URL', { exact: true }).fill(url);
      await page.getByLabel('Event kinds', { exact: true }).fill('service_group.created');
      await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
      const secret = page.getByRole('status').filter({ hasText: 'Its signing secret' });
      await secret.waitFor({ timeout: UI_TIMEOUT_MS });
      assert.match(await secret.locator('code').innerText(), /^whsec_[A-Za-z0-9+/=]+$/);
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: url, exact: true }) });
      await row.getByRole('cell', { name: 'service_group.created', exact: true }).waitFor();
      const consumer = federation.api(federation.consumerToken);
      const { participantId } = await consumer.get('/session');
      await consumer.post('/service-groups', { name: uniqueName('hooked'), consumerId: participantId });
      await waitUntil(async () => {
        await row.getByRole('button', { name: `Deliveries to ${url}`, exact: true }).click();
        return (await page.getByRole('cell', { name: /service_group\.created$/ }).count()) > 0;
      }, { message: 'the delivery of the new group\'s event is not logged' });
      assert.deepEqual(await accessibilityViolations(page), [], 'the Webhooks page has no WCAG A/AA violations');
      await shots.save('webhooks');
      // Read again, the endpoint never shows its secret.
      const listed = await consumer.get('/webhooks');
      assert.ok(listed.items.every((endpoint) => !('secret' in endpoint)), 'a listed endpoint shows no secret');
    },
  },
  {
    name: 'signing out forgets the token',
    async run({ page, federation }) {
      await signIn(page, federation);
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByLabel('API token', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('federa.token')), null);
      await page.reload();
      await page.getByLabel('API token', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
];
