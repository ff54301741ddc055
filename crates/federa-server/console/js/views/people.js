// People: who belongs to the signed-in participant, with which role and,
// for a member limited to some, which projects. Memberships are managed
// through POST /api/v1/memberships or `federa memberships create`.

import { all } from '../api.js';
import { h, table } from '../dom.js';

export default async function people() {
  const [memberships, projects] = await Promise.all([all('/memberships'), all('/projects').catch(() => [])]);
  const named = new Map(projects.map((p) => [p.id, p.name]));
  return [
    h('h1', {}, 'People'),
    h('p', { class: 'muted' }, 'Owners and managers give roles up to their own; approvers decide on orders held for approval.'),
    table('People', [
      ['Person', (m) => m.userName || m.userId],
      ['Role', (m) => m.role],
      ['Projects', (m) => (m.projectIds.length ? m.projectIds.map((id) => named.get(id) || id).join(', ') : 'all')],
    ], memberships, 'Nobody belongs here yet.'),
  ];
}
