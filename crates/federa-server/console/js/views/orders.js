// Orders with binding quotes: each order's items with their quotes
// (provider, monthly estimate), its total and expiry, and where it stands, with the decisions the caller's
// side takes on it. A consumer accepts or cancels a quote and its
// approvers approve or reject one held for them; a provider accepts or
// declines an order waiting for it. The API decides who may: a refusal
// shows as an alert.

import { all, post } from '../api.js';
import { h, replace, table, badge, alert } from '../dom.js';
import { eur, when } from '../format.js';

// The decisions each side takes on an order in a state: [verb, label, asks a reason].
const CONSUMER = {
  Quoted: [['accept', 'Accept'], ['cancel', 'Cancel']],
  AwaitingApproval: [['approve', 'Approve'], ['reject', 'Reject', true], ['cancel', 'Cancel']],
};
const PROVIDER = {
  AwaitingProvider: [['confirm', 'Accept'], ['decline', 'Decline', true]],
};

// What an order is of: its items' names (a provider sees its own).
function names(order) {
  return order.lines.map((line) => line.item.name).join(', ');
}

function decisions(session, order) {
  const sides = session.audience === 'admin' ? [CONSUMER, PROVIDER]
    : session.audience === 'provider' && order.consumerId !== session.participantId ? [PROVIDER] : [CONSUMER];
  return sides.flatMap((side) => side[order.state] || []);
}

export default async function orders({ session }) {
  const list = h('div');
  const said = h('div', { 'aria-live': 'polite' });
  const projects = new Map((await all('/projects').catch(() => [])).map((p) => [p.id, p.name]));

  async function decide(order, verb, label, asksReason) {
    const body = {};
    if (asksReason) {
      const reason = window.prompt(`${label} ${names(order)}: why?`);
      if (reason === null) return;
      body.reason = reason;
    }
    try {
      const moved = await post(`/orders/${order.id}/${verb}`, body);
      replace(said, h('p', { class: 'notice', role: 'status' }, `Order of ${names(moved)} is now ${moved.state}.`));
    } catch (error) {
      replace(said, alert(error.lines));
    }
    await load();
  }

  async function load() {
    const items = await all('/orders?sort=-createdAt');
    replace(list, table('Orders', [
      ['Order', (o) => names(o)],
      ['State', (o) => badge(o.state)],
      ['Project', (o) => (o.projectId ? projects.get(o.projectId) || o.projectId : '—')],
      ['Provider', (o) => o.lines.map((line) => `${line.quote.providerName} (${line.quote.region})`).join(', ')],
      ['Monthly estimate', (o) => eur(o.monthlyEstimate)],
      ['Quote binds until', (o) => when(o.expiresAt)],
      ['Reason', (o) => o.reason || '—'],
      ['', (o) => h('div', { class: 'actions' }, decisions(session, o).map(([verb, label, asksReason]) => h('button', {
        type: 'button',
        class: verb === 'cancel' || verb === 'reject' || verb === 'decline' ? 'secondary' : null,
        'aria-label': `${label} ${names(o)}`,
        onclick: () => decide(o, verb, label, asksReason),
      }, label)))],
    ], items, 'No orders.'));
  }

  await load();
  return [
    h('h1', {}, 'Orders'),
    h('p', { class: 'muted' }, 'Orders quote a price that binds for the quote\'s term. Place one through POST /api/v1/orders or `federa orders create`.'),
    said,
    list,
  ];
}
