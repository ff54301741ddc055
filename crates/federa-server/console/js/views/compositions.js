// Compositions: services ordered together across providers, with where each
// member landed and why.

import { all } from '../api.js';
import { h, table, badge } from '../dom.js';
import { ago } from '../format.js';

export default async function compositions() {
  const items = await all('/compositions');
  return [
    h('h1', {}, 'Compositions'),
    items.length ? null : h('p', { class: 'notice' }, 'No compositions. Order one through POST /api/v1/compositions or `federa compositions create`.'),
    items.map((composition) => h('section', { class: 'card', 'aria-labelledby': `composition-${composition.id}` },
      h('h2', { id: `composition-${composition.id}` }, composition.name, ' ', badge(composition.status)),
      h('p', { class: 'muted' }, `On failure: ${composition.onFailure}. Ordered ${ago(composition.createdAt)}.`),
      table(null, [
        ['Member', (m) => m.key],
        ['State', (m) => badge(m.state)],
        ['Service', (m) => (m.serviceId ? h('a', { href: `#/services/${m.serviceId}` }, m.serviceStatus || 'open') : '—')],
        ['Country', (m) => m.country || '—'],
        ['Placement', (m) => m.placementExplanation || '—'],
      ], composition.members))),
  ];
}
