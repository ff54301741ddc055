// Webhooks: endpoints subscribed to event kinds, signed as the Standard
// Webhooks specification says. The signing secret appears once, when the
// endpoint is made; each endpoint's delivery log shows every attempt.

import { all, get, post, del } from '../api.js';
import { h, replace, table, badge, alert } from '../dom.js';
import { when } from '../format.js';

export default async function webhooks({ session }) {
  const list = h('div');
  const shownOnce = h('div', { 'aria-live': 'polite' });
  const log = h('div', { 'aria-live': 'polite' });

  async function showDeliveries(endpoint) {
    try {
      const page = await get(`/webhooks/${endpoint.id}/deliveries?pageSize=100&sort=-eventSequence`);
      replace(log, h('h2', {}, `Deliveries to ${endpoint.url}`), table(`Deliveries to ${endpoint.url}`, [
        ['Event', (d) => `${d.eventSequence} ${d.eventType}`],
        ['Attempts', (d) => d.attempts],
        ['Last answer', (d) => d.lastStatusCode ?? d.lastError ?? '—'],
        ['Delivered', (d) => when(d.deliveredAt)],
        ['Next attempt', (d) => when(d.nextAttemptAt)],
      ], page.items, 'Nothing sent yet.'));
    } catch (error) {
      replace(log, alert(error.lines));
    }
  }

  async function remove(endpoint) {
    if (!window.confirm(`Remove the endpoint ${endpoint.url}? Its delivery log goes with it.`)) return;
    try { await del(`/webhooks/${endpoint.id}`); replace(log); await load(); } catch (error) { replace(shownOnce, alert(error.lines)); }
  }

  async function load() {
    const items = await all('/webhooks');
    replace(list, table('Webhook endpoints', [
      ['Endpoint', (w) => w.url],
      ['Events', (w) => (w.eventTypes.length ? w.eventTypes.join(', ') : 'every kind')],
      ['Status', (w) => badge(w.status)],
      ['Since', (w) => when(w.createdAt)],
      ['', (w) => h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Deliveries to ${w.url}`, onclick: () => showDeliveries(w) }, 'Deliveries'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${w.url}`, onclick: () => remove(w) }, 'Remove'))],
    ], items, 'No endpoints.'));
  }

  const url = h('input', { id: 'webhook-url', type: 'url', spellcheck: 'false', placeholder: 'https://' });
  const kinds = h('input', { id: 'webhook-events', type: 'text', spellcheck: 'false' });
  const form = h('form', { class: 'stack', 'aria-label': 'New endpoint', onsubmit: async (event) => {
    event.preventDefault();
    const eventTypes = kinds.value.split(',').map((kind) => kind.trim()).filter(Boolean);
    try {
      const made = await post('/webhooks', { url: url.value.trim(), eventTypes, participantId: session.participantId || undefined });
      replace(shownOnce, h('div', { class: 'notice', role: 'status' },
        h('p', {}, `Endpoint ${made.url} subscribed. Its signing secret — copy it now, it will not be shown again:`),
        h('pre', {}, h('code', {}, made.secret))));
      await load();
    } catch (error) {
      replace(shownOnce, alert(error.lines));
    }
  } },
  h('div', {}, h('label', { for: 'webhook-url' }, 'Endpoint URL'), url,
    h('span', { class: 'hint' }, 'https://, never redirected; answered within 10 s.')),
  h('div', {}, h('label', { for: 'webhook-events' }, 'Event kinds'), kinds,
    h('span', { class: 'hint' }, 'Comma-separated, such as order.awaitingApproval, project.budgetAlert; empty for every kind.')),
  h('div', {}, h('button', { type: 'submit' }, 'Subscribe')));

  await load();
  return [h('h1', {}, 'Webhooks'), list, shownOnce, log, h('h2', {}, 'New endpoint'), form];
}
