// DOM helpers: every piece of data goes in as text (textContent), never as HTML.

/** An element with attributes (`class`, `data-*`, `aria-*`, ... as strings; `hidden` as a boolean) and children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'hidden') node.hidden = Boolean(value);
    else node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

export function cell(text, className) {
  return el('td', { class: className }, text === undefined || text === null || text === '' ? '-' : String(text));
}

export function pill(text, kind, title) {
  return el('span', { class: `pill ${kind ?? ''}`.trim(), title }, text);
}

export function fillTable(table, rows) {
  table.querySelector('tbody').replaceChildren(...rows.map((cells) => el('tr', {}, ...cells)));
}
