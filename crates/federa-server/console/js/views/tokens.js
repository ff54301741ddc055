// API tokens: the plain value appears once, when created or regenerated.

import { all, post, del } from '../api.js';
import { h, replace, table, alert } from '../dom.js';
import { when } from '../format.js';

export default async function tokens({ session }) {
  const list = h('div');
  const shownOnce = h('div', { 'aria-live': 'polite' });

  async function load() {
    const items = await all('/tokens');
    replace(list, table(null, [
      ['Name', (t) => t.name],
      ['Role', (t) => t.role],
      ['Scope', (t) => t.agentId || t.participantId || '—'],
      ['Expires', (t) => when(t.expireAt)],
      ['', (t) => h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Regenerate ${t.name}`, onclick: () => regenerate(t) }, 'Regenerate'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${t.name}`, onclick: () => revoke(t) }, 'Revoke'))],
    ], items, 'No tokens.'));
  }

  const reveal = (answer) => replace(shownOnce, h('div', { class: 'notice', role: 'status' },
    h('p', {}, `Token "${answer.name}" — copy it now, it will not be shown again:`),
    h('pre', {}, h('code', {}, answer.value))));

  async function regenerate(t) {
    try { reveal(await post(`/tokens/${t.id}/regenerate`, {})); await load(); } catch (error) { replace(shownOnce, alert(error.lines)); }
  }

  async function revoke(t) {
    if (!window.confirm(`Revoke ${t.name}? Whoever uses it is signed out.`)) return;
    try { await del(`/tokens/${t.id}`); await load(); } catch (error) { replace(shownOnce, alert(error.lines)); }
  }

  const name = h('input', { id: 'token-name', type: 'text' });
  const role = h('select', { id: 'token-role' },
    session.role === 'admin' ? h('option', { value: 'admin' }, 'admin') : null,
    h('option', { value: 'participant' }, 'participant'),
    // Agent tokens act for an agent, which only a provider runs.
    session.audience === 'consumer' ? null : h('option', { value: 'agent' }, 'agent'));
  const scope = h('input', { id: 'token-scope', type: 'text', spellcheck: 'false', value: session.participantId || '' });
  const days = h('input', { id: 'token-days', type: 'number', min: '1', value: '30' });
  const form = h('form', { class: 'stack', 'aria-label': 'New token', onsubmit: async (event) => {
    event.preventDefault();
    try {
      const expireAt = new Date(Date.now() + Number(days.value || 30) * 86400000).toISOString();
      reveal(await post('/tokens', { name: name.value.trim(), role: role.value, scopeId: scope.value.trim() || undefined, expireAt }));
      await load();
    } catch (error) {
      replace(shownOnce, alert(error.lines));
    }
  } },
  h('div', {}, h('label', { for: 'token-name' }, 'Name'), name),
  h('div', {}, h('label', { for: 'token-role' }, 'Role'), role),
  h('div', {}, h('label', { for: 'token-scope' }, 'Scope id'), scope,
    h('span', { class: 'hint' }, 'The participant (participant role) or agent (agent role) the token acts for.')),
  h('div', {}, h('label', { for: 'token-days' }, 'Valid for (days)'), days),
  h('div', {}, h('button', { type: 'submit' }, 'Create token')));

  await load();
  return [h('h1', {}, 'Tokens'), list, shownOnce, h('h2', {}, 'New token'), form];
}
