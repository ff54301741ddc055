// Forms generated from a service type's property schema. The console does
// not re-implement the schema's rules: it sends what was entered and shows
// the API's verdict next to each field it names.

import { h, table } from './dom.js';

const userMayWrite = (definition) => !definition.generator && !(definition.authorizers || []).some(
  (a) => a.type === 'actor' && !(a.config?.actors || []).includes('user'));

function validator(definition, type) {
  return (definition.validators || []).find((v) => v.type === type)?.config;
}

function rules(definition) {
  const parts = [];
  if (definition.required) parts.push('required');
  if (definition.immutable) parts.push('immutable');
  if (definition.secret) parts.push(`${definition.secret.type || 'persistent'} secret`);
  if (definition.default !== undefined) parts.push(`default ${JSON.stringify(definition.default)}`);
  if (definition.generator) parts.push(`from the ${definition.generator.config?.poolType || ''} pool`.replace('  ', ' '));
  for (const v of definition.validators || []) {
    const config = v.config || {};
    const value = config.value ?? config.values ?? config.pattern ?? '';
    parts.push(`${v.type}${value === '' ? '' : ` ${Array.isArray(value) ? value.join('|') : value}`}`);
  }
  for (const a of definition.authorizers || []) {
    if (a.type === 'actor') parts.push(`set by ${(a.config?.actors || []).join(', ')}`);
    if (a.type === 'state') parts.push(`changeable in ${(a.config?.allowedStates || []).join(', ')}`);
  }
  return parts.join('; ');
}

// The schema as a table people can read.
export function describeSchema(schema) {
  const rows = [];
  const walk = (properties, prefix) => {
    for (const [name, definition] of Object.entries(properties || {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      rows.push({ path, definition });
      if (definition.properties) walk(definition.properties, path);
    }
  };
  walk(schema?.properties, '');
  return table(null, [
    ['Property', (r) => h('code', {}, r.path)],
    ['Label', (r) => r.definition.label || '—'],
    ['Type', (r) => r.definition.type + (r.definition.items ? ` of ${r.definition.items.type}` : '')],
    ['Rules', (r) => rules(r.definition) || '—'],
  ], rows, 'No properties.');
}

const fieldId = (path) => `prop-${path.replace(/[^A-Za-z0-9_-]/g, '_')}`;

function input(path, definition, initial, { locked, editing }) {
  const id = fieldId(path);
  const common = {
    id, name: path, disabled: locked, 'aria-required': definition.required ? 'true' : undefined, 'aria-describedby': `${id}-hint`,
  };
  const allowed = validator(definition, 'enum')?.values;
  if (allowed) {
    return h('select', common,
      definition.required && initial !== undefined ? null : h('option', { value: '' }, '(not set)'),
      allowed.map((value) => h('option', { value: JSON.stringify(value), selected: JSON.stringify(value) === JSON.stringify(initial) }, String(value))));
  }
  switch (definition.type) {
    case 'boolean':
      return h('select', common,
        h('option', { value: '' }, '(not set)'),
        h('option', { value: 'true', selected: initial === true }, 'Yes'),
        h('option', { value: 'false', selected: initial === false }, 'No'));
    case 'integer':
    case 'number':
      return h('input', { ...common, type: 'number', step: definition.type === 'integer' ? '1' : 'any', value: initial ?? '' });
    case 'string': {
      const maxLength = validator(definition, 'maxLength')?.value;
      if (definition.secret) {
        return h('input', { ...common, type: 'password', autocomplete: 'new-password', placeholder: editing ? 'unchanged' : undefined });
      }
      if (maxLength === undefined || maxLength > 200) return h('textarea', { ...common, rows: 4 }, initial ?? '');
      return h('input', { ...common, type: 'text', value: initial ?? '' });
    }
    case 'uuid':
      return h('input', { ...common, type: 'text', value: initial ?? '', spellcheck: 'false' });
    default: // json, array, and objects without declared properties: JSON text
      return h('textarea', { ...common, rows: 4, 'data-json': 'true' }, initial === undefined ? '' : JSON.stringify(initial, null, 2));
  }
}

function readValue(control, definition) {
  const text = control.value;
  if (text === '') return { skip: true };
  if (control.tagName === 'SELECT' && (validator(definition, 'enum') || definition.type === 'boolean')) {
    return { value: JSON.parse(text) };
  }
  if (definition.type === 'integer' || definition.type === 'number') {
    const number = Number(text);
    return { value: Number.isNaN(number) ? text : number };
  }
  if (control.dataset.json) {
    try { return { value: JSON.parse(text) }; } catch { return { problem: 'must be valid JSON' }; }
  }
  return { value: text };
}

function lookup(values, path) {
  return path.split('.').reduce((value, key) => (value === undefined || value === null ? undefined : value[key]), values);
}

// Fields for `schema`; `read()` gives the properties entered (empty fields
// left out, so the API applies defaults and reports what is missing) and
// `mark(lines)` shows each `path: message` beside its field. With `values`
// (a service's properties) the form edits them: fields start at the current
// values, immutable ones are locked, secrets stay blank for "unchanged",
// and `read()` gives only what changed.
export function schemaForm(schema, values) {
  const editing = values !== undefined;
  const controls = [];
  const build = (properties, prefix) => Object.entries(properties || {})
    .filter(([, definition]) => userMayWrite(definition))
    .map(([name, definition]) => {
      const path = prefix ? `${prefix}.${name}` : name;
      const label = definition.label || name;
      if (definition.type === 'object' && definition.properties) {
        return h('fieldset', {}, h('legend', {}, label), build(definition.properties, path));
      }
      const current = editing ? lookup(values, path) : definition.default;
      const initial = editing && definition.secret ? undefined : current;
      const control = input(path, definition, initial, { locked: editing && definition.immutable, editing });
      controls.push({ path, definition, control, initial });
      const hint = [definition.required ? 'Required.' : 'Optional.', rules(definition) && `Rules: ${rules(definition)}.`, `Property ${path}.`]
        .filter(Boolean).join(' ');
      return h('div', { class: 'field', 'data-path': path },
        h('label', { for: control.id }, label),
        control,
        h('span', { class: 'hint', id: `${control.id}-hint` }, hint));
    });
  const fields = build(schema?.properties, '');
  return {
    fields,
    read() {
      const values = {};
      const problems = [];
      for (const { path, definition, control, initial } of controls) {
        if (control.disabled) continue;
        const { value, skip, problem } = readValue(control, definition);
        if (problem) problems.push(`${path}: ${problem}`);
        if (skip || problem) continue;
        if (editing && JSON.stringify(value) === JSON.stringify(initial)) continue;
        const keys = path.split('.');
        let target = values;
        for (const key of keys.slice(0, -1)) target = (target[key] ??= {});
        target[keys.at(-1)] = value;
      }
      return { values, problems };
    },
    mark(lines) {
      for (const { control } of controls) {
        control.removeAttribute('aria-invalid');
        control.parentElement.querySelector('.field-error')?.remove();
        control.setAttribute('aria-describedby', `${control.id}-hint`);
      }
      for (const line of lines) {
        const [path, ...rest] = line.split(': ');
        const bare = path.replace(/^properties\./, '');
        const entry = controls.find((c) => c.path === bare || bare.startsWith(`${c.path}.`) || bare.startsWith(`${c.path}[`));
        if (!entry) continue;
        const errorId = `${entry.control.id}-error`;
        entry.control.setAttribute('aria-invalid', 'true');
        entry.control.setAttribute('aria-describedby', `${entry.control.id}-hint ${errorId}`);
        entry.control.after(h('div', { class: 'field-error', id: errorId }, rest.join(': ')));
      }
    },
  };
}
