// One service: its state, the actions its lifecycle allows from there, its
// properties (secrets masked), jobs, status history and metrics.

import { all, get, post, patch, query, ApiError } from '../api.js';
import { h, replace, table, facts, badge, alert } from '../dom.js';
import { ago, when, title, json } from '../format.js';
import { lineChart } from '../chart.js';
import { providers } from '../providers.js';
import { schemaForm } from '../schema_form.js';

const IN_FLIGHT = new Set(['Pending', 'Processing']);
const MASK = '••••••••';

// Actions whose successful transition starts at `status`; `create` and
// `update` come from ordering and from editing properties.
function actionsFrom(lifecycle, status) {
  return (lifecycle?.actions || [])
    .filter((a) => a.name !== 'create' && a.name !== 'update')
    .filter((a) => a.transitions.some((t) => !t.onError && t.from === status))
    .map((a) => a.name);
}

// Whether the lifecycle lets `update` run from `status`.
function updatable(lifecycle, status) {
  return (lifecycle?.actions || []).some((a) => a.name === 'update' && a.transitions.some((t) => !t.onError && t.from === status));
}

// A form changing the service's properties; saving queues an `update` job
// with only what changed.
function editor(service, schema, onSaved) {
  const fields = schemaForm(schema, service.properties || {});
  const problems = h('div');
  const save = h('button', { type: 'submit' }, 'Save changes');
  const form = h('form', { class: 'stack', 'aria-label': 'Change properties', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    replace(problems);
    const { values, problems: unreadable } = fields.read();
    if (unreadable.length) { replace(problems, alert(unreadable)); fields.mark(unreadable); return; }
    if (!Object.keys(values).length) { replace(problems, h('p', { class: 'notice', role: 'status' }, 'Nothing changed.')); return; }
    save.disabled = true;
    try {
      await patch(`/services/${service.id}`, { properties: values });
      fields.mark([]);
      onSaved();
    } catch (error) {
      const lines = error instanceof ApiError ? error.lines : [String(error)];
      replace(problems, alert(lines));
      fields.mark(lines);
    } finally {
      save.disabled = false;
    }
  } }, fields.fields, problems, h('div', { class: 'actions' }, save));
  return form;
}

function shown(value, definition) {
  if (definition?.secret) return MASK;
  if (value !== null && typeof value === 'object') return h('pre', {}, json(value));
  return String(value);
}

// Charts of every metric reported for the service in the last hour, drawn
// into `box`.
async function drawMetrics(box, service, metricTypes) {
  const resources = await get(`/metric-entries/resource-ids${query({ serviceId: service.id })}`);
  const start = new Date(Date.now() - 60 * 60 * 1000).toISOString();
  const charts = [];
  for (const resource of resources.items) {
    for (const type of metricTypes) {
      const series = await get(`/metric-entries/aggregate/${service.id}/${encodeURIComponent(resource)}/${type.id}${query({ aggregateType: 'avg', bucket: 'minute', start })}`);
      if (series.data.length) {
        charts.push(lineChart(`${type.name} (${resource}), average per minute`, series.data.map(([t, v]) => [new Date(t), v])));
      }
    }
  }
  replace(box, charts.length ? charts : h('p', { class: 'muted' }, 'No metrics reported in the last hour.'));
}

export default async function service({ params, every }) {
  const id = params.id;
  let current = await get(`/services/${id}`);
  const [type, metricTypes, known] = await Promise.all([
    get(`/service-types/${current.serviceTypeId}`),
    all('/metric-types').catch(() => []),
    providers(),
  ]);
  const definitions = type.propertySchema?.properties || {};
  const status = h('span', { id: 'service-status' });
  const summary = h('div');
  const buttons = h('div', { class: 'actions', role: 'group', 'aria-label': 'Lifecycle actions' });
  const feedback = h('div', { 'aria-live': 'polite' });
  // What was asked last, until its job is done; then the outcome replaces it.
  let requested = null;
  let hinting = false;
  const jobs = h('div');
  const editing = h('div');
  // The form is rebuilt only when the service's properties or its ability
  // to take an update change, so typing is never undone by a refresh.
  let editorFor = null;
  const showEditor = (busy) => {
    const key = JSON.stringify([current.properties, busy, updatable(type.lifecycleSchema, current.status)]);
    if (key === editorFor) return;
    editorFor = key;
    if (busy || !updatable(type.lifecycleSchema, current.status) || !type.propertySchema) {
      replace(editing, h('p', { class: 'muted' }, busy ? 'Properties can change once the job in flight is done.' : `Properties cannot change while the service is ${current.status}.`));
      return;
    }
    replace(editing, editor(current, type.propertySchema, () => {
      requested = 'Update';
      replace(feedback, h('p', { class: 'notice' }, 'Update requested; the provider\'s agent is on it.'));
      refresh();
    }));
  };
  const history = h('div');
  const props = h('div');

  async function act(action) {
    if (action === 'delete' && !window.confirm(`Delete ${current.name}? This cannot be undone.`)) return;
    replace(feedback);
    hinting = false;
    for (const button of buttons.querySelectorAll('button')) button.disabled = true;
    try {
      await post(`/services/${id}/${encodeURIComponent(action)}`, {});
      requested = title(action);
      replace(feedback, h('p', { class: 'notice' }, `${title(action)} requested; the provider's agent is on it.`));
    } catch (error) {
      replace(feedback, alert(error.lines));
    }
    await refresh();
  }

  async function refresh() {
    try {
      const [latest, jobPage, eventPage] = await Promise.all([
        get(`/services/${id}`),
        get(`/jobs${query({ serviceId: id, pageSize: 20, sort: '-createdAt' })}`).catch(() => ({ items: [] })),
        get(`/events${query({ entityId: id, pageSize: 50, sort: '-sequenceNumber' })}`).catch(() => ({ items: [] })),
      ]);
      current = latest;
      const busy = jobPage.items.some((j) => IN_FLIGHT.has(j.status));
      const possible = actionsFrom(type.lifecycleSchema, current.status);
      if (!busy && requested) {
        const failed = jobPage.items[0]?.status === 'Failed';
        replace(feedback, failed
          ? alert([`${requested} failed: ${jobPage.items[0].errorMessage || 'no message'}.`])
          : h('p', { class: 'notice', role: 'status' }, `${requested} done; the service is ${current.status}.`));
        requested = null;
      } else if (!busy && !requested && current.status === 'Stopped' && possible.includes('start')) {
        // An ordered service is created Stopped: say what runs it.
        if (!hinting) replace(feedback, h('p', { class: 'notice', role: 'status' }, 'The service is created but not running: Start runs it.'));
        hinting = true;
      } else if (hinting) {
        replace(feedback);
        hinting = false;
      }
      // Updated in place, so assistive technology follows it.
      replace(status, badge(current.status));
      replace(buttons, possible.map((action) =>
        h('button', { type: 'button', class: action === 'delete' ? 'danger' : '', disabled: busy, onclick: () => act(action) }, title(action))),
      busy ? h('span', { class: 'muted' }, 'A job is in flight; actions wait for it.') : null);
      showEditor(busy);
      replace(summary, facts([
        ['Status', status],
        ['Service type', type.name],
        ['Seen on the platform', current.observedState ? `${current.observedState}, ${when(current.observedAt)}` : '—'],
        ['Instance', current.agentInstanceData?.url ? h('a', { href: current.agentInstanceData.url }, current.agentInstanceData.url) : (current.agentInstanceId || '—')],
        ['Provider', known.label(current.providerId)],
        ['Agent', current.agentStatus && current.agentStatus !== 'Connected'
          ? h('span', {}, `${current.agentId} `, badge(current.agentStatus), ' jobs wait until the agent is back')
          : current.agentId],
        ['Group', current.groupId],
        ['Created', when(current.createdAt)],
        ['Updated', when(current.updatedAt)],
      ]));
      replace(props, table(null, [
        ['Property', ([key]) => h('code', {}, key)],
        ['Value', ([key, value]) => shown(value, definitions[key])],
      ], Object.entries(current.properties || {}), 'No properties.'));
      replace(jobs, table(null, [
        ['Action', (j) => j.action],
        ['Status', (j) => badge(j.status)],
        ['Attempts', (j) => j.attempts ?? 0, 'num'],
        ['Created', (j) => ago(j.createdAt)],
        ['Finished', (j) => (j.completedAt ? ago(j.completedAt) : '—')],
        ['Error', (j) => j.errorMessage || '—'],
      ], jobPage.items, 'No jobs yet.'));
      replace(history, table(null, [
        ['#', (e) => e.sequenceNumber, 'num'],
        ['Event', (e) => e.type],
        ['Change', (e) => (e.properties?.from || e.properties?.to ? `${e.properties.from ?? '—'} → ${e.properties.to ?? '—'}` : '')],
        ['By', (e) => `${e.initiatorType}`],
        ['When', (e) => when(e.createdAt)],
      ], eventPage.items, 'No events.'));
    } catch (error) {
      replace(feedback, alert(error.lines));
    }
  }

  const metrics = h('div', { class: 'charts' }, h('p', { class: 'muted' }, 'Loading metrics…'));
  const chart = () => drawMetrics(metrics, current, metricTypes).catch((error) => replace(metrics, alert(error.lines || [String(error)])));
  await refresh();
  chart();
  every(2000, refresh);
  // Agents report metrics in batches, every few seconds at most.
  every(15000, chart);
  return [
    h('h1', {}, current.name),
    h('p', {}, h('a', { href: '#/services' }, '← Services')),
    summary,
    h('h2', {}, 'Actions'),
    buttons,
    feedback,
    h('h2', {}, 'Properties'), props,
    h('h2', {}, 'Change properties'), editing,
    h('h2', {}, 'Metrics'), metrics,
    h('h2', {}, 'Jobs'), jobs,
    h('h2', {}, 'Status history'), history,
  ];
}
