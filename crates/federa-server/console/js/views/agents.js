// Agents the caller may see, and the one-time command that installs one.

import { all, post } from '../api.js';
import { h, replace, table, badge, alert } from '../dom.js';
import { ago, when } from '../format.js';
import { providers } from '../providers.js';

export default async function agents({ session }) {
  const [items, types, known] = await Promise.all([all('/agents'), all('/agent-types').catch(() => []), providers()]);
  const typeName = new Map(types.map((t) => [t.id, t.name]));
  const install = h('div', { 'aria-live': 'polite' });
  const mayInstall = session.role === 'admin' || session.role === 'participant';

  async function command(agent) {
    try {
      const answer = await post(`/agents/${agent.id}/install-command`, {});
      replace(install, h('section', { class: 'card', 'aria-label': `Install ${agent.name}` },
        h('h2', {}, `Install ${agent.name}`),
        h('p', {}, `Run this on the provider's host before ${when(answer.expiresAt)}. It works once and is shown only now.`),
        h('pre', {}, h('code', {}, answer.installCommand))));
    } catch (error) {
      replace(install, alert(error.lines));
    }
  }

  return [
    h('h1', {}, 'Agents'),
    table(null, [
      ['Name', (a) => a.name],
      ['Provider', (a) => known.label(a.providerId)],
      ['Type', (a) => typeName.get(a.agentTypeId) || a.agentTypeId.slice(0, 8)],
      ['Status', (a) => badge(a.status)],
      ['Tags', (a) => a.tags.join(', ') || '—'],
      ['Last change', (a) => ago(a.updatedAt)],
      ['Install', (a) => (mayInstall ? h('button', { type: 'button', class: 'secondary', onclick: () => command(a), 'aria-label': `Install command for ${a.name}` }, 'Install command') : '—')],
    ], items, session.role === 'participant' ? 'You run no agents. Providers register theirs here.' : 'No agents.'),
    install,
  ];
}
