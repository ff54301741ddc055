// The services the caller may see, filtered and paged.

import { all, get, query } from '../api.js';
import { h, replace, table, badge, alert } from '../dom.js';
import { ago } from '../format.js';

export default async function services({ every }) {
  const types = await all('/service-types').catch(() => []);
  const typeName = new Map(types.map((t) => [t.id, t.name]));
  const state = { name: '', status: '', serviceTypeId: '', page: 1 };
  const results = h('div', { 'aria-live': 'polite' });

  async function load() {
    try {
      const page = await get(`/services${query({
        name: state.name, currentStatus: state.status, serviceTypeId: state.serviceTypeId,
        page: state.page, pageSize: 25, sort: '-createdAt',
      })}`);
      replace(results,
        table('Services', [
          ['Name', (s) => h('a', { href: `#/services/${s.id}` }, s.name)],
          ['Type', (s) => typeName.get(s.serviceTypeId) || s.serviceTypeId.slice(0, 8)],
          ['Status', (s) => badge(s.status)],
          ['Instance', (s) => (s.agentInstanceData?.url ? h('a', { href: s.agentInstanceData.url }, s.agentInstanceData.url) : s.agentInstanceId || '—')],
          ['Created', (s) => ago(s.createdAt)],
        ], page.items, 'No services match.'),
        h('div', { class: 'pager' },
          h('button', { type: 'button', class: 'secondary', disabled: !page.hasPrev, onclick: () => { state.page -= 1; load(); } }, 'Previous page'),
          h('span', {}, `Page ${page.currentPage} of ${Math.max(page.totalPages, 1)} · ${page.totalItems} services`),
          h('button', { type: 'button', class: 'secondary', disabled: !page.hasNext, onclick: () => { state.page += 1; load(); } }, 'Next page')));
    } catch (error) {
      replace(results, alert(error.lines));
    }
  }

  const name = h('input', { id: 'filter-name', type: 'search' });
  const status = h('input', { id: 'filter-status', type: 'text', placeholder: 'e.g. Started' });
  const type = h('select', { id: 'filter-type' }, h('option', { value: '' }, 'Any'), types.map((t) => h('option', { value: t.id }, t.name)));
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter services', onsubmit: (event) => {
    event.preventDefault();
    Object.assign(state, { name: name.value.trim(), status: status.value.trim(), serviceTypeId: type.value, page: 1 });
    load();
  } },
  h('div', {}, h('label', { for: 'filter-name' }, 'Name contains'), name),
  h('div', {}, h('label', { for: 'filter-status' }, 'Status'), status),
  h('div', {}, h('label', { for: 'filter-type' }, 'Service type'), type),
  h('div', {}, h('button', { type: 'submit' }, 'Filter')));

  await load();
  every(5000, load);
  return [h('h1', {}, 'Services'), filters, results];
}
