// The event log the caller may see, newest first, followed live through
// the Server-Sent Events stream. EventSource cannot send a bearer token, so
// the stream is read with fetch and parsed here.

import { get, token, query } from '../api.js';
import { h, replace, alert, scrolling } from '../dom.js';
import { when } from '../format.js';
import { names } from '../names.js';

const KEEP = 200;

// The entity an event is about: its name where the caller may read it,
// else the end of its id (UUIDv7s begin with their creation time, so
// their starts read alike); a service links to its page.
function entity(event, directory) {
  if (!event.entityId) return '—';
  const label = h('code', {}, `…${event.entityId.slice(-12)}`);
  directory.of(event).then((name) => { if (name) label.replaceWith(name); });
  const about = event.type.startsWith('service.') || event.type.startsWith('job.') ? event.entityId : null;
  const content = about
    ? h('a', { href: `#/services/${about}` }, label)
    : h('span', {}, label);
  content.title = event.entityId;
  return content;
}

function row(event, directory) {
  return h('tr', {},
    h('td', { class: 'num' }, event.sequenceNumber),
    h('td', {}, event.type),
    h('td', {}, `${event.initiatorType} ${event.initiatorId || ''}`),
    h('td', {}, entity(event, directory)),
    h('td', {}, when(event.createdAt)));
}

// Calls `onEvent` for each event after `after` until `signal` aborts,
// reconnecting with Last-Event-ID when a response ends.
async function follow(after, onEvent, onProblem, signal) {
  let last = after;
  while (!signal.aborted) {
    try {
      const response = await fetch(`/api/v1/events/stream${query({ after: last })}`, {
        headers: { Authorization: `Bearer ${token.get()}`, 'Last-Event-ID': String(last), Accept: 'text/event-stream' },
        signal,
      });
      if (!response.ok) throw new Error(`the stream answered ${response.status}`);
      onProblem(null);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          if (!data) continue;
          const event = JSON.parse(data);
          last = event.sequenceNumber;
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      onProblem(error.message);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

export default async function events({ onLeave }) {
  const page = await get('/events?sort=-sequenceNumber&pageSize=50');
  const directory = names();
  // Names are there at first sight; later entities are named as they come.
  await directory.preload(page.items);
  const body = h('tbody', {}, page.items.map((event) => row(event, directory)));
  const state = h('p', { class: 'muted', role: 'status' }, 'Following new events live.');
  const controller = new AbortController();
  onLeave(() => controller.abort());
  const start = page.items[0]?.sequenceNumber ?? 0;
  follow(start, (event) => {
    body.prepend(row(event, directory));
    while (body.children.length > KEEP) body.lastChild.remove();
  }, (problem) => replace(state, problem ? alert(`The live stream stopped (${problem}); retrying.`) : 'Following new events live.'), controller.signal);
  const log = scrolling('Events, newest first',
    h('table', {},
      h('caption', {}, `Newest first; ${page.totalItems} events in all`),
      h('thead', {}, h('tr', {}, ['#', 'Event', 'By', 'Entity', 'When'].map((t) => h('th', { scope: 'col' }, t)))),
      body));
  log.classList.add('log');
  return [
    h('h1', {}, 'Events'),
    state,
    log,
  ];
}
