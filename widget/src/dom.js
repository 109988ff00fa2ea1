// DOM helpers: elements built with createElement(NS) and text nodes only (no HTML parsing),
// and safe(), which keeps our errors, sync or async, from ever reaching the host page.
import { debug } from './config.js'

export const safe =
  (f) =>
  (...a) => {
    try {
      const r = f(...a)
      r && r.catch && r.catch(debug)
      return r
    } catch (e) {
      debug(e)
    }
  }

// h('p', {class: 'x', onclick: f, text: 'Hi'}, child, 'text', …): on* become listeners.
export const h = (tag, a = {}, ...kids) => {
  const e = document.createElement(tag)
  for (const k in a) {
    const v = a[k]
    v == null || v === false || (k[0] + k[1] == 'on' ? e.addEventListener(k.slice(2), safe(v)) : k == 'text' ? (e.textContent = v) : e.setAttribute(k, v))
  }
  e.append(...kids.filter((x) => x))
  return e
}

export const btn = (fd, label, onclick, cls) => h('button', { 'data-fd': fd, class: cls, onclick }, label)

export const icon = (d) => {
  const n = (t) => document.createElementNS('http://www.w3.org/2000/svg', t)
  const s = n('svg')
  const p = n('path')
  s.setAttribute('viewBox', '0 0 24 24')
  s.setAttribute('aria-hidden', 'true')
  p.setAttribute('d', d)
  s.append(p)
  return s
}
