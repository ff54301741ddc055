// Switches: a consumer's services moved to another provider with their
// data, each with its stage and, on its own page, the report a customer
// keeps (GET /switches/{id}/report).

import { all, get } from '../api.js';
import { h, table, badge, facts } from '../dom.js';
import { ago, when, eur } from '../format.js';

export default async function switches() {
  const [items, services] = await Promise.all([all('/switches'), all('/services').catch(() => [])]);
  const named = new Map(services.map((service) => [service.id, service.name]));
  return [
    h('h1', {}, 'Switches'),
    h('p', { class: 'muted' }, 'Services and compositions moved to another provider with their data. Ask for one through POST /api/v1/switches or `federa switches create`.'),
    table('Switches', [
      ['Switch', (s) => h('a', { href: `#/switches/${s.id}` }, named.get(s.sourceServiceId) || s.sourceServiceId)],
      ['Stage', (s) => badge(s.stage)],
      // The members of one composition switch cut over together.
      ['Composition member', (s) => s.memberKey || '—'],
      ['To', (s) => s.plan.targetCountry || '—'],
      ['Format', (s) => s.plan.format],
      ['Asked', (s) => ago(s.createdAt)],
    ], items, 'No switches.'),
  ];
}

function party(end) {
  return `${end.providerName} (${end.country || '—'}), service ${end.serviceId}`;
}

function digest(moved) {
  return moved ? `${moved.sizeBytes} bytes, SHA-256 ${moved.sha256}` : '—';
}

export async function report({ id }) {
  const r = await get(`/switches/${encodeURIComponent(id)}/report`);
  const erased = r.erasure;
  return [
    h('h1', {}, 'Switch report ', badge(r.stage)),
    h('section', { class: 'card', 'aria-labelledby': 'moved' },
      h('h2', { id: 'moved' }, 'What was moved'),
      facts([
        ['From', party(r.source)],
        ['To', party(r.target)],
        ['Format', r.moved.format],
        ['Exported', digest(r.moved.exported)],
        ['Imported', digest(r.moved.imported)],
        ['Verified', r.moved.identical ? 'identical size and SHA-256' : 'not identical', 'switch-verified'],
        r.failure ? ['Failure', r.failure] : null,
      ])),
    h('section', { class: 'card', 'aria-labelledby': 'charges' },
      h('h2', { id: 'charges' }, 'Charges'),
      facts([
        ['Switching charge', eur(r.charges.switchingCharge)],
        ['Asked on', r.charges.askedOn],
        ['Rule', r.charges.rule],
        ['Transitional period', `${r.charges.transitionalPeriodDays} days${r.charges.transitionalPeriodEndsAt ? `, until ${when(r.charges.transitionalPeriodEndsAt)}` : ''}`],
      ])),
    h('section', { class: 'card', 'aria-labelledby': 'stages' },
      h('h2', { id: 'stages' }, 'Stages'),
      table('Stages of the switch', [
        ['Stage', (t) => t.stage],
        ['Began', (t) => when(t.beganAt)],
        ['Ended', (t) => when(t.endedAt)],
      ], r.stages)),
    h('section', { class: 'card', 'aria-labelledby': 'erasure' },
      h('h2', { id: 'erasure' }, 'Erasure at the source'),
      erased
        ? facts([
          ['Confirmed', when(erased.confirmedAt), 'switch-erased'],
          ['By agent', `${erased.agentName} (${erased.agentId})`],
          ['Job', erased.jobId],
        ])
        : h('p', { class: 'notice' }, 'Not erased yet.')),
    h('p', {}, h('a', { href: `/api/v1/switches/${encodeURIComponent(r.switchId)}/report`, download: `switch-${r.switchId}.json` }, 'The report as JSON')),
  ];
}
