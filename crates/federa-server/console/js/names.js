// What the entity of an event is called. Events carry ids; people read
// names. Each kind of entity is looked up where the API lists it, as far
// as the caller may read it, and a name not found stays unknown.

import { all, get } from './api.js';

// Where each kind of entity is listed, by the first part of an event's
// type. A job's events are about its service, a provider profile's about
// its participant.
const LISTS = {
  service: '/services',
  job: '/services',
  service_group: '/service-groups',
  participant: '/participants',
  provider_profile: '/participants',
  agent: '/agents',
  token: '/tokens',
  composition: '/compositions',
  placement_policy: '/placement-policies',
  service_type: '/service-types',
  agent_type: '/agent-types',
  metric_type: '/metric-types',
  service_option_type: '/service-option-types',
};

const kindOf = (event) => event.type.split('.')[0];

// The id the name belongs to: a placement is named for the service it
// placed.
function subject(event) {
  if (kindOf(event) === 'placement' && typeof event.properties?.serviceId === 'string') {
    return ['/services', event.properties.serviceId];
  }
  const list = LISTS[kindOf(event)];
  return list && event.entityId ? [list, event.entityId] : null;
}

export function names() {
  // list path → Map(id → name or null), and the lists being read.
  const known = new Map();
  const loading = new Map();

  const load = (list) => {
    if (!loading.has(list)) {
      loading.set(list, all(list).catch(() => []).then((items) => {
        const map = known.get(list) || new Map();
        for (const item of items) if (item.name) map.set(item.id, item.name);
        known.set(list, map);
      }));
    }
    return loading.get(list);
  };

  // One entity not in its list yet (made after the list was read), asked
  // for once; one the caller may not read stays unnamed.
  const fetchOne = async (list, id) => {
    const map = known.get(list);
    map.set(id, null);
    const item = await get(`${list}/${id}`).catch(() => null);
    if (item?.name) map.set(id, item.name);
  };

  return {
    // Reads the lists the kinds of `events` are named from.
    async preload(events) {
      const lists = new Set(events.map(subject).filter(Boolean).map(([list]) => list));
      await Promise.all([...lists].map(load));
    },
    // The name of the entity of `event`, or null.
    async of(event) {
      const carried = event.properties?.name;
      if (typeof carried === 'string' && carried) return carried;
      const found = subject(event);
      if (!found) return null;
      const [list, id] = found;
      await load(list);
      if (!known.get(list).has(id)) await fetchOne(list, id);
      return known.get(list).get(id) ?? null;
    },
  };
}
