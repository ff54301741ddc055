// Invoices (what a consumer owes) and statements (what a provider earns)
// for a period, with a CSV download of the same figures. An admin picks
// whose bills to read; a participant reads its own, and one that provides
// nothing has no statement. An invoice also says what each of the
// consumer's projects comes to.

import { all, call, query } from '../api.js';
import { h, replace, table, alert } from '../dom.js';
import { eur } from '../format.js';

function monthStart(offset) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

const day = (date) => date.toISOString().slice(0, 10);

export default async function billing({ session }) {
  const from = h('input', { id: 'bill-from', type: 'date', value: day(monthStart(0)) });
  const to = h('input', { id: 'bill-to', type: 'date', value: day(monthStart(1)) });
  const admin = session.role === 'admin';
  const participants = admin ? await all('/participants?sort=name') : [];
  const participant = h('select', { id: 'bill-participant', required: true },
    h('option', { value: '' }, 'Choose a participant'),
    participants.map((p) => h('option', { value: p.id }, p.name)));
  const results = h('div', { 'aria-live': 'polite' });
  const projectNames = new Map((await all('/projects').catch(() => [])).map((p) => [p.id, p.name]));

  const bill = (kind, who) => async () => {
    const params = { from: `${from.value}T00:00:00Z`, to: `${to.value}T00:00:00Z`, [who]: participant.value };
    const answer = await call('GET', `/${kind}${query(params)}`);
    const csv = await call('GET', `/${kind}${query({ ...params, format: 'csv' })}`, undefined, { accept: 'text/csv' });
    const link = h('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: `${kind}-${from.value}.csv` }, 'Download CSV');
    return h('section', { 'aria-label': kind },
      h('h2', {}, kind === 'invoices' ? 'Invoice' : 'Statement', ` — total ${eur(answer.total)}`),
      table(null, [
        ['Service', (l) => l.serviceName],
        ['Line', (l) => l.description],
        ['Quantity', (l) => l.quantity, 'num'],
        ['Unit price', (l) => eur(l.unitPrice), 'num'],
        ['Amount', (l) => eur(l.amount), 'num'],
      ], answer.lines, 'Nothing to bill in this period.'),
      answer.projects && answer.projects.length ? [
        h('h3', {}, 'By project'),
        table('By project', [
          ['Project', (p) => (p.projectId ? projectNames.get(p.projectId) || p.projectId : 'no project')],
          ['Total', (p) => eur(p.total), 'num'],
        ], answer.projects),
      ] : null,
      h('p', {}, link));
  };

  const kinds = [['Invoice', bill('invoices', 'consumerId')]];
  if (session.audience !== 'consumer') kinds.push(['Statement', bill('statements', 'providerId')]);

  async function show(event) {
    event?.preventDefault();
    if (admin && !participant.value) {
      replace(results, alert('Choose the participant whose bills to show.'));
      participant.focus();
      return;
    }
    const parts = [];
    for (const [label, load] of kinds) {
      try {
        parts.push(await load());
      } catch (error) {
        parts.push(h('section', {}, h('h2', {}, label), alert(error.lines)));
      }
    }
    replace(results, parts);
  }

  const form = h('form', { class: 'filters', 'aria-label': 'Billing period', novalidate: true, onsubmit: show },
    h('div', {}, h('label', { for: 'bill-from' }, 'From'), from),
    h('div', {}, h('label', { for: 'bill-to' }, 'To (exclusive)'), to),
    admin ? h('div', {}, h('label', { for: 'bill-participant' }, 'Participant'), participant) : null,
    h('div', {}, h('button', { type: 'submit' }, 'Show')));
  if (!admin) await show();
  return [h('h1', {}, 'Billing'), form, results];
}
