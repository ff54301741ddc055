// Builds elements from data without ever parsing data as HTML, so nothing
// a server or a user wrote can run as script.

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      node.className = value;
    } else if (key === 'value' && 'value' in node) {
      node.value = value;
    } else if (value === true) {
      node.setAttribute(key, '');
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// A table of `rows` with one column per entry of `columns`: [heading, cell
// function, optional class].
export function table(caption, columns, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'notice' }, empty);
  return scrolling(caption || `Table of ${columns.map(([title]) => title).filter(Boolean).join(', ')}`,
    h('table', {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map(([title, , cls]) => h('th', { scope: 'col', class: cls }, title)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell, cls]) => h('td', { class: cls }, cell(row))))))));
}

// A region that scrolls sideways on narrow screens; focusable, so keyboard
// users can scroll it too.
export function scrolling(label, ...children) {
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': label }, ...children);
}

// Facts as a description list: [[term, value], …].
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([term, value, id]) => [
    h('dt', {}, term), h('dd', { id }, value ?? '—'),
  ]));
}

export function badge(text) {
  const tone = /^(Started|Running|Connected|Completed|Enabled|ready)$/.test(text) ? 'ok'
    : /^(Failed|Error|Disconnected|Disabled|Deleted)$/.test(text) ? 'bad'
      : /^(Pending|Processing|New)$/.test(text) ? 'warn' : 'info';
  return h('span', { class: `badge ${tone}` }, text);
}

export function alert(lines) {
  const list = [].concat(lines);
  return h('div', { class: 'alert', role: 'alert' },
    list.length === 1 ? list[0] : h('ul', {}, list.map((line) => h('li', {}, line))));
}
