// The console's shell: sign-in, the sections a role may open, and a router
// over `#/section/...` that renders one view at a time into <main>.

import { all, get, token, whenSignedOut } from './api.js';
import { h, replace, alert } from './dom.js';
import { oidcSignIn, finishOidcSignIn } from './oidc.js';
import overview from './views/overview.js';
import catalogue from './views/catalogue.js';
import order from './views/order.js';
import orders from './views/orders.js';
import projects from './views/projects.js';
import people from './views/people.js';
import webhooks from './views/webhooks.js';
import services from './views/services.js';
import service from './views/service.js';
import compositions from './views/compositions.js';
import switches, { report as switchReport } from './views/switches.js';
import billing from './views/billing.js';
import agents from './views/agents.js';
import tokens from './views/tokens.js';
import events from './views/events.js';

// Section, its title, the audiences that see it, and the view for each
// route shape under it.
const SECTIONS = [
  ['overview', 'Overview', ['admin', 'provider', 'consumer', 'agent'], { '': overview }],
  ['catalogue', 'Catalogue', ['admin', 'provider', 'consumer'], { '': catalogue, ':id/order': order }],
  ['orders', 'Orders', ['admin', 'provider', 'consumer'], { '': orders }],
  ['projects', 'Projects', ['admin', 'consumer'], { '': projects }],
  ['services', 'Services', ['admin', 'provider', 'consumer', 'agent'], { '': services, ':id': service }],
  ['compositions', 'Compositions', ['admin', 'provider', 'consumer'], { '': compositions }],
  ['switches', 'Switches', ['admin', 'consumer'], { '': switches, ':id': switchReport }],
  ['billing', 'Billing', ['admin', 'provider', 'consumer'], { '': billing }],
  ['people', 'People', ['admin', 'provider', 'consumer'], { '': people }],
  ['webhooks', 'Webhooks', ['admin', 'provider', 'consumer'], { '': webhooks }],
  ['agents', 'Agents', ['admin', 'provider'], { '': agents }],
  ['tokens', 'Tokens', ['admin', 'provider', 'consumer'], { '': tokens }],
  ['events', 'Events', ['admin', 'provider', 'consumer', 'agent'], { '': events }],
];

// Who the console is for: the token's role, with participants told apart
// by whether they provide. One that neither publishes a provider profile
// nor runs an agent has no agents to manage and earns nothing to state.
async function audience(session) {
  if (session.role !== 'participant') return session.role;
  const [agentPage, profiles] = await Promise.all([
    get('/agents?pageSize=1').catch(() => ({ totalItems: 0 })),
    all('/provider-profiles').catch(() => []),
  ]);
  const provides = agentPage.totalItems > 0 || profiles.some((p) => p.participantId === session.participantId);
  return provides ? 'provider' : 'consumer';
}

const main = document.getElementById('main');
const nav = document.getElementById('sections');
const who = document.getElementById('who');
let session = null;
let leave = null;
let navigated = false;
let renders = 0;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [name = 'overview', ...rest] = parts;
  const section = SECTIONS.find(([key]) => key === name);
  if (!section) return { section: null };
  for (const [shape, view] of Object.entries(section[3])) {
    const pattern = shape ? shape.split('/') : [];
    if (pattern.length !== rest.length) continue;
    const params = {};
    if (pattern.every((part, i) => (part.startsWith(':') ? (params[part.slice(1)] = decodeURIComponent(rest[i]), true) : part === rest[i]))) {
      return { section, view, params };
    }
  }
  return { section: null };
}

async function render() {
  const generation = ++renders;
  if (leave) { leave(); leave = null; }
  if (!token.get()) { showSignIn(); return; }
  if (!session) {
    try {
      const answer = await get('/session');
      session = { ...answer, audience: await audience(answer) };
    } catch (error) {
      token.clear();
      showSignIn(error.status === 401 || error.status === 403 ? 'That token is not valid (unknown, expired or revoked).' : error.lines);
      return;
    }
    showSession();
  }
  const { section, view, params } = route();
  if (!section || !section[2].includes(session.audience)) {
    location.replace('#/overview');
    return;
  }
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.section === section[0]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main, h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  // Timers and streams of this view; stopped when another view replaces
  // it, and never started once one has.
  const timers = [];
  const current = () => generation === renders;
  const stop = () => timers.forEach((t) => (typeof t === 'function' ? t() : clearInterval(t)));
  const context = {
    session,
    params: params || {},
    every(ms, fn) { if (current()) timers.push(setInterval(fn, ms)); },
    onLeave(fn) { if (current()) timers.push(fn); else fn(); },
    go(hash) { location.hash = hash; },
  };
  leave = stop;
  let content;
  try {
    content = await view(context);
  } catch (error) {
    content = [h('h1', {}, section[1]), alert(error.lines || [String(error)])];
  }
  // A newer navigation started while this view loaded: it owns <main>.
  if (!current()) { stop(); return; }
  replace(main, content);
  const heading = main.querySelector('h1');
  document.title = `${heading ? heading.textContent : section[1]} · Federa`;
  // After a navigation, screen readers start at the new view's heading.
  if (heading && navigated) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  navigated = false;
}

function showSession() {
  replace(nav, SECTIONS.filter(([, , audiences]) => audiences.includes(session.audience)).map(([key, label]) =>
    h('a', { href: `#/${key}`, 'data-section': key }, label)));
  nav.hidden = false;
  const name = session.participantName || (session.role === 'admin' ? 'Administrator' : '');
  replace(who, h('span', {}, `${name} (${session.role})`), h('button', { type: 'button', onclick: signOut }, 'Sign out'));
  who.hidden = false;
}

function signOut() {
  token.clear();
  session = null;
  nav.hidden = true;
  who.hidden = true;
  replace(nav);
  replace(who);
  if (location.hash !== '#/overview') location.hash = '#/overview';
  else render();
}

async function showSignIn(problem) {
  nav.hidden = true;
  who.hidden = true;
  document.title = 'Sign in · Federa';
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-hint' });
  const form = h('form', { class: 'stack', onsubmit: (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    token.set(value);
    session = null;
    render();
  } },
  h('div', {}, h('label', { for: 'token' }, 'API token'), input,
    h('span', { id: 'token-hint', class: 'hint' }, 'An admin, participant or agent token. It stays in this tab only.')),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')));
  const box = h('section', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Federa'),
    problem ? alert(problem) : null,
    form);
  replace(main, box);
  input.focus();
  const config = await fetch('/console/config.json').then((r) => r.json()).catch(() => ({}));
  if (config.oidc) {
    box.append(h('p', { class: 'muted' }, 'or'),
      h('button', { type: 'button', class: 'secondary', onclick: () => oidcSignIn(config.oidc) }, 'Sign in with single sign-on'));
  }
}

whenSignedOut(() => {
  if (!session) return;
  if (leave) { leave(); leave = null; }
  token.clear();
  session = null;
  showSignIn('The exchange no longer accepts this token (expired or revoked); sign in again.');
});

window.addEventListener('hashchange', () => { navigated = true; render(); });
finishOidcSignIn().then((problem) => (problem ? showSignIn(problem) : render()));
