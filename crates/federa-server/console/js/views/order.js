// Ordering a service: a form generated from the type's property schema,
// either on a chosen agent or placed by the exchange, with a preview that
// explains the placement before anything is ordered.

import { all, get, post, ApiError } from '../api.js';
import { h, replace, table, alert } from '../dom.js';
import { eur } from '../format.js';
import { providers } from '../providers.js';
import { schemaForm } from '../schema_form.js';

const CERTIFICATIONS = ['ISO27001', 'ISO27017', 'ISO27018', 'SecNumCloud', 'BSIC5', 'EUCSBasic', 'EUCSSubstantial',
  'EUCSHigh', 'CISPECodeOfConduct', 'GaiaXStandardCompliance', 'GaiaXLabel1', 'GaiaXLabel2', 'GaiaXLabel3', 'HDS', 'TISAX'];

function labelled(id, label, control, hint) {
  control.id = id;
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', {}, h('label', { for: id }, label), control, hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

export default async function order({ session, params, go }) {
  const [type, groups, agents, known] = await Promise.all([
    get(`/service-types/${params.id}`),
    all('/service-groups'),
    all('/agents').catch(() => []),
    providers(),
  ]);
  const properties = schemaForm(type.propertySchema);
  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const group = h('select', {},
    groups.length ? null : h('option', { value: '' }, 'A new group named "default"'),
    groups.map((g) => h('option', { value: g.id }, g.name)));
  const agent = h('select', {}, h('option', { value: '' }, 'Automatic placement'),
    agents.filter((a) => a.status !== 'Disabled').map((a) => h('option', { value: a.id }, `${a.name} — ${known.label(a.providerId)} (${a.status})`)));
  const countries = h('input', { type: 'text', placeholder: 'e.g. DE, FR' });
  const jurisdiction = h('select', {},
    h('option', { value: 'any' }, 'Any'),
    h('option', { value: 'eu' }, 'Headquartered in the EU/EEA'),
    h('option', { value: 'euNoForeignLaw' }, 'EU/EEA and not subject to non-EU law'));
  const certifications = CERTIFICATIONS.map((kind) => h('input', { type: 'checkbox', value: kind, id: `cert-${kind}` }));
  const maxPrice = h('input', { type: 'text', inputmode: 'decimal', placeholder: 'e.g. 0.05' });
  const strategy = h('select', {},
    h('option', { value: 'cheapest' }, 'Cheapest'),
    h('option', { value: 'nearest' }, 'Nearest to a country'),
    h('option', { value: 'spread' }, 'Spread over providers'));
  const near = h('input', { type: 'text', placeholder: 'e.g. DE' });
  const placementFields = h('fieldset', {}, h('legend', {}, 'Placement'),
    labelled('placement-countries', 'Countries', countries, 'Comma-separated ISO codes; empty allows any.'),
    labelled('placement-jurisdiction', 'Jurisdiction', jurisdiction),
    h('fieldset', {}, h('legend', {}, 'Required certifications'),
      h('div', { class: 'grid' }, certifications.map((box) => h('label', { class: 'check', for: box.id }, box, box.value)))),
    labelled('placement-max-price', 'Highest price per hour (EUR)', maxPrice),
    labelled('placement-strategy', 'Strategy', strategy),
    labelled('placement-near', 'Near country', near, 'For the nearest strategy.'));
  // On a chosen agent nothing is placed, so neither rules nor a preview apply.
  const syncPlacement = () => {
    placementFields.hidden = agent.value !== '';
    previewPanel.hidden = agent.value !== '';
  };
  agent.addEventListener('change', syncPlacement);

  const errors = h('div', { id: 'order-errors' });
  const preview = h('div', { role: 'status', 'aria-live': 'polite', class: 'stack' });

  const placementRequest = () => ({
    countries: list(countries.value.toUpperCase()),
    jurisdiction: jurisdiction.value,
    requiredCertifications: certifications.filter((box) => box.checked).map((box) => box.value),
    maxHourlyPrice: maxPrice.value.trim() || undefined,
    strategy: strategy.value,
    nearCountry: near.value.trim().toUpperCase() || undefined,
  });
  const consumerId = () => groups.find((g) => g.id === group.value)?.consumerId || session.participantId;

  function show(problem) {
    const lines = problem instanceof ApiError ? problem.lines : [].concat(problem);
    replace(errors, alert(lines));
    properties.mark(lines);
  }

  async function runPreview() {
    replace(errors);
    const { values, problems } = properties.read();
    if (problems.length) { show(problems); return; }
    replace(preview, h('p', { class: 'muted' }, 'Asking the exchange…'));
    try {
      const answer = await post('/placement/preview', {
        serviceTypeId: type.id, consumerId: consumerId(), properties: values, placement: placementRequest(),
      });
      replace(preview,
        h('p', {}, h('strong', {}, answer.chosen ? `Would run with ${known.label(answer.chosen.participantId)} in ${answer.chosen.region} at ${eur(answer.chosen.hourlyPrice)} per hour. ` : 'No provider can take this order. '),
          answer.explanation),
        table('Candidates', [
          ['Provider', (c) => known.label(c.participantId)],
          ['Per hour', (c) => eur(c.hourlyPrice), 'num'],
          ['Verdict', (c) => (c.accepted ? 'eligible' : c.rejections.map((r) => r.message).join('; '))],
        ], answer.considered, 'No provider offers this service type.'));
    } catch (error) {
      replace(preview);
      show(error);
    }
  }

  async function submit(event) {
    event.preventDefault();
    replace(errors);
    const { values, problems } = properties.read();
    if (problems.length) { show(problems); return; }
    submitButton.disabled = true;
    try {
      let groupId = group.value;
      if (!groupId) {
        groupId = (await post('/service-groups', { name: 'default', consumerId: session.participantId })).id;
      }
      const body = { name: name.value.trim(), serviceTypeId: type.id, groupId, properties: values };
      if (agent.value) body.agentId = agent.value;
      else body.placement = placementRequest();
      const created = await post('/services', body);
      go(`#/services/${created.id}`);
    } catch (error) {
      show(error);
      errors.querySelector('[role=alert]')?.focus?.();
    } finally {
      submitButton.disabled = false;
    }
  }

  const submitButton = h('button', { type: 'submit' }, 'Order');
  // The preview sits beside the fields on a wide screen and stays in view
  // while they scroll; on a narrow one it follows the placement fields.
  const previewPanel = h('section', { class: 'order-preview card', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, 'Where it would run'),
    h('p', { class: 'hint' }, 'Asks the exchange with the properties and placement rules as they are now; nothing is ordered.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: runPreview }, 'Preview placement')),
    preview);
  const form = h('form', { class: 'order', 'aria-label': `Order ${type.name}`, novalidate: true, onsubmit: submit },
    h('div', { class: 'stack order-fields' },
      labelled('service-name', 'Service name', name, 'How you will find it in lists.'),
      labelled('service-group', 'Group', group, 'Services of one group are worked on one job at a time.'),
      labelled('service-agent', 'Agent', agent, agents.length ? 'Or leave the choice to the exchange.' : 'The exchange chooses a provider under the placement rules below.'),
      h('fieldset', {}, h('legend', {}, 'Properties'), properties.fields),
      placementFields),
    previewPanel,
    h('div', { class: 'stack order-submit' }, errors, h('div', { class: 'actions' }, submitButton)));
  syncPlacement();
  return [h('h1', {}, `Order ${type.name}`), h('p', {}, h('a', { href: '#/catalogue' }, '← Catalogue')), form];
}
