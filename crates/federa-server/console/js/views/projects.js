// Projects: a consumer's cost centres with their quotas, and how each
// monthly budget stands against the forecast of the services counted
// (GET /projects/{id}/budget), the consumer's own budget first.

import { all, get } from '../api.js';
import { h, table, facts } from '../dom.js';
import { eur } from '../format.js';

function alerted(standing) {
  return standing.alerted ? `${standing.alerted} % reached` : 'none reached';
}

export default async function projects({ session }) {
  const items = await all('/projects');
  const standings = await Promise.all(items.map((p) => get(`/projects/${p.id}/budget`).catch(() => null)));
  const own = session.participantId
    ? await get(`/participants/${session.participantId}/budget`).catch(() => null)
    : null;
  const rows = items.map((project, i) => ({ project, standing: standings[i] }));
  return [
    h('h1', {}, 'Projects'),
    own ? h('section', { class: 'card', 'aria-labelledby': 'own-budget' },
      h('h2', { id: 'own-budget' }, 'Budget of all your services'),
      facts([
        ['Monthly budget', own.monthlyBudget ? eur(own.monthlyBudget) : 'none'],
        ['Forecast', eur(own.forecast), 'own-forecast'],
        ['Alerts', own.budgetAlerts ? `${own.budgetAlerts.join(' %, ')} %; ${alerted(own)}` : '—'],
      ])) : null,
    table('Projects', [
      ['Project', ({ project }) => project.name],
      ['Service limit', ({ project }) => project.serviceLimit ?? '—'],
      ['Approval above', ({ project }) => (project.approvalThreshold ? eur(project.approvalThreshold) : '—')],
      ['Monthly budget', ({ project }) => (project.monthlyBudget ? eur(project.monthlyBudget) : '—')],
      ['Forecast', ({ standing }) => (standing ? eur(standing.forecast) : '—')],
      ['Alerts', ({ standing }) => (standing && standing.budgetAlerts ? alerted(standing) : '—')],
      ['Past the budget', ({ project }) => (project.overBudget === 'AwaitApproval' ? 'awaits approval' : 'refused')],
    ], rows, 'No projects.'),
  ];
}
