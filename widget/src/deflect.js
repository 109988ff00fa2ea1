// Deflect: the contact form's suggestions (suggest.js) attached to a field of the host page,
// Frontdesk('deflect', '#support-form textarea', {submitted: '.thanks'}). They render in the
// widget's shadow root, placed beside the field (below it when there is no room beside), so
// the host's layout is never touched. The host's form sent after something was suggested
// (its submit event, or an element matching `submitted` appearing) is logged as
// form_submitted: that session ends in a ticket, not in deflected_form.
import { debug } from './config.js'
import { safe } from './dom.js'
import { log } from './events.js'
import { root, wrap, css } from './launcher.js'
import { mount } from './panel.js'
import { suggest } from './suggest.js'

let undo = []
let n = 0
const fields = new Set() // each field once
const at = {} // each deflector's place, as a rule of one constructed stylesheet (no style attributes)
const places = css('')
const placed = () => places.replaceSync(Object.values(at).join(''))

export const deflect = (sel, o = {}) => {
  const field = document.querySelector(sel)
  if (!field || !/^(TEXTAREA|INPUT)$/.test(field.tagName)) return debug('deflect: no textarea or input', sel)
  if (fields.has(field)) return
  fields.add(field)
  mount() // the panel's styles
  root.adoptedStyleSheets.includes(places) || (root.adoptedStyleSheets = [...root.adoptedStyleSheets, places])
  const { box, shown } = suggest(field, 'host')
  const k = 'dx' + n++
  box.classList.add('dx', k)
  wrap.append(box)
  const place = safe(() => {
    const r = field.getBoundingClientRect()
    const beside = innerWidth - r.right > 340
    at[k] = `.${k}{left:${beside ? r.right + 12 : r.left}px;top:${beside ? r.top : r.bottom + 6}px;width:${beside ? 320 : Math.max(r.width, 260)}px${r.width ? '' : ';visibility:hidden'}}`
    placed()
  })
  let sent
  const submitted = safe(() => shown[0] && !sent && ((sent = 1), log('form_submitted', { form: 'host' })))
  const form = field.form
  const seen = o.submitted && new MutationObserver(safe(() => document.querySelector(o.submitted) && submitted()))
  const sized = new ResizeObserver(place)
  form && form.addEventListener('submit', submitted, true)
  seen && seen.observe(document.body, { childList: true, subtree: true, attributes: true })
  sized.observe(field)
  addEventListener('scroll', place, true)
  addEventListener('resize', place)
  place()
  undo.push(() => {
    fields.delete(field)
    delete at[k]
    placed()
    box.remove()
    form && form.removeEventListener('submit', submitted, true)
    seen && seen.disconnect()
    sized.disconnect()
    removeEventListener('scroll', place, true)
    removeEventListener('resize', place)
  })
}

export const end = () => {
  undo.map((f) => f())
  undo = []
}
