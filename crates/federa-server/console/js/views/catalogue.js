// Service types with their property schemas, and who offers them at what
// price under which certifications.

import { all } from '../api.js';
import { h, table } from '../dom.js';
import { eur } from '../format.js';
import { providers } from '../providers.js';
import { describeSchema } from '../schema_form.js';

export function priceLines(price) {
  return [
    ...(price.perProperty || []).map((p) => `${eur(p.hourlyPerUnit)}/h per ${p.unit} (${p.property})`),
    ...(price.perMetric || []).map((m) => `${eur(m.perUnit)} per ${m.unit} (${m.metricType})`),
  ].join('; ') || '—';
}

export default async function catalogue({ session }) {
  const [types, offerings, known] = await Promise.all([
    all('/service-types'),
    all('/offerings').catch(() => []),
    providers(),
  ]);
  return [
    h('h1', {}, 'Catalogue'),
    types.length ? null : h('p', { class: 'notice' }, 'The catalogue is empty.'),
    h('div', { class: 'cards' }, types.map((type) => {
      const offers = offerings.filter((o) => o.serviceTypeId === type.id && o.enabled !== false);
      const headingId = `type-${type.id}`;
      return h('article', { class: 'card', 'aria-labelledby': headingId },
        h('h2', { id: headingId }, type.name),
        session.role !== 'agent' && type.lifecycleSchema
          ? h('p', {}, h('a', { class: 'button', href: `#/catalogue/${type.id}/order` }, 'Order'))
          : null,
        h('h3', {}, 'Properties'),
        describeSchema(type.propertySchema),
        h('h3', {}, 'Offerings'),
        table(null, [
          ['Provider', (o) => known.label(o.participantId)],
          ['Regions', (o) => o.regions.join(', ')],
          ['Per hour', (o) => eur(o.price.hourly), 'num'],
          ['Usage prices', (o) => priceLines(o.price)],
          ['Certifications', (o) => known.certifications(o.participantId).join(', ') || '—'],
          ['Capacity', (o) => o.capacity ?? 'unlimited'],
        ], offers, 'No provider offers this type on the exchange yet; it can still be ordered from an agent.'));
    })),
  ];
}
