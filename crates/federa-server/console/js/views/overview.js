// What is happening in the part of the federation the caller may see.

import { all, get } from '../api.js';
import { h, table, badge } from '../dom.js';
import { ago, count } from '../format.js';

// A list the caller may not read is left out rather than failing the page.
const allowed = (promise) => promise.catch((error) => {
  if (error.status === 403) return null;
  throw error;
});

function tally(title, entries, empty) {
  return h('section', { class: 'card', 'aria-label': title },
    h('h2', {}, title),
    entries.length
      ? h('ul', {}, entries.map(([name, n]) => h('li', {}, typeof name === 'string' && /^[A-Z][a-z]+$/.test(name) ? badge(name) : name, ` ${n}`)))
      : h('p', { class: 'muted' }, empty));
}

// An agent sees itself; a participant that only consumes runs none.
function agentsSeenBy(session) {
  if (session.audience === 'agent') return allowed(get('/agents/me')).then((a) => (a ? [a] : []));
  if (session.audience === 'consumer') return null;
  return allowed(all('/agents'));
}

export default async function overview({ session }) {
  const [profiles, agents, services, inFlight, recent] = await Promise.all([
    session.role === 'agent' ? null : allowed(all('/provider-profiles')),
    agentsSeenBy(session),
    allowed(all('/services', 1000)),
    allowed(get('/jobs?status=Pending,Processing&pageSize=1')),
    allowed(get('/events?sort=-sequenceNumber&pageSize=10')),
  ]);
  const countries = profiles
    ? count(profiles.flatMap((p) => [...new Set([p.jurisdiction, ...p.regions.map((r) => r.country)])].map((c) => ({ c }))), (x) => x.c)
    : [];
  const cards = h('div', { class: 'grid' },
    profiles ? tally('Providers by country', countries.map(([c, n]) => [c, `— ${n} provider${n === 1 ? '' : 's'}`]), 'No provider has published a profile.') : null,
    agents ? tally('Agents by status', count(agents, (a) => a.status), 'No agents.') : null,
    services ? tally('Services by state', count(services, (s) => s.status), 'No services.') : null,
    inFlight ? h('section', { class: 'card', 'aria-label': 'Jobs in flight' },
      h('h2', {}, 'Jobs in flight'),
      h('p', { class: 'figure' }, String(inFlight.totalItems)),
      h('p', { class: 'muted' }, 'pending or being processed')) : null);
  return [
    h('h1', {}, 'Overview'),
    cards,
    recent ? [h('h2', {}, 'Recent events'),
      table(null, [
        ['#', (e) => e.sequenceNumber, 'num'],
        ['Event', (e) => e.type],
        ['By', (e) => `${e.initiatorType} ${e.initiatorId}`],
        ['When', (e) => ago(e.createdAt)],
      ], recent.items, 'No events yet.'),
      h('p', {}, h('a', { href: '#/events' }, 'All events, live'))] : null,
  ];
}
