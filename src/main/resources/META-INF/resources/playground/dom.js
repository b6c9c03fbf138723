// Small DOM helpers shared by the page's modules.

/** h('div', {class: 'x', onclick: fn}, child, 'text', ...): an element; null and false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'value') {
      el.value = value;
    } else {
      el.setAttribute(name, value === true ? '' : value);
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A labelled form field around an input element. */
export function field(label, input, wide = false) {
  return h('label', { class: wide ? 'field wide' : 'field' }, h('span', {}, label), input);
}

/** A horizontal bar for a score in [0, 1], with its value. */
export function scoreRow(label, score) {
  const pct = Math.max(0, Math.min(1, score)) * 100;
  return h('div', { class: 'score-row' },
    h('span', { class: 'score-label', title: label }, label),
    h('span', { class: 'bar' }, h('span', { class: 'fill', style: `width: ${pct.toFixed(1)}%` })),
    h('span', { class: 'score-value' }, score.toFixed(3)));
}
