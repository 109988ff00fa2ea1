// Suggest: answers and articles for what the user types in a contact form (the widget's or
// the host's), before they send it. After a pause in typing the text goes to /ask, the
// same decision as a question: a confident answer is shown as an answer (its passage behind
// a button that shows it), the other sources as article links (a new tab, so the form keeps
// what was typed); at most three. Opening one is logged (article_opened, source 'form'):
// the user read instead of sending, which the deflection log counts as deflected_form.
import { cfg } from './config.js'
import { h, safe } from './dom.js'
import { t } from './strings.js'
import { ANSWER, MAY_HELP } from './keys.js'
import { req } from './http.js'
import { log } from './events.js'
import { href } from './page.js'
import { pageInfo, helpBase } from './pageinfo.js'
import { session, visitor } from './storage.js'

let n = 0

// form: 'contact' or 'host'; returns the box to place and what it suggested so far
export const suggest = (field, form) => {
  const id = 'fd-s' + n++
  const box = h('div', { class: 'sg', 'data-fd': 'form-suggestions', role: 'region', 'aria-labelledby': id, 'aria-live': 'polite', hidden: 1 })
  const shown = [] // {article_id, answered}, for the ticket
  const opened = new Set()
  let timer, last, seq = 0
  const read = (a) => opened.has(a) || (opened.add(a), log('article_opened', { article_id: a, source: 'form' }))
  const run = safe(async () => {
    const q = field.value.trim().slice(0, 1000)
    if (q.length < 12 || q == last) return
    last = q
    const k = ++seq
    const r = await req('/api/v1/ask', { question: q, page_url: href(), site: cfg.site, locale: cfg.locale, session_id: session(), visitor_id: visitor(), page: pageInfo() })
    const d = r.ok && r.d
    if (k != seq || !d) return
    const a = d.status == 'answered' && d.answer
    const rest = d.status == 'no_answer' ? [] : (d.sources || []).filter((s) => !a || s.article_id != a.article_id)
    const items = []
    if (a) {
      const more = h('a', { href: new URL(a.url, helpBase() + '/').href, target: '_blank', rel: 'noopener' }, a.title)
      const text = h('div', { 'data-fd': 'form-answer-text', hidden: 1 }, h('blockquote', { text: a.text }), h('p', {}, more))
      const toggle = h(
        'button',
        {
          type: 'button', 'data-fd': 'form-answer', 'aria-expanded': 'false',
          onclick: () => {
            const on = text.hidden
            text.hidden = !on
            toggle.setAttribute('aria-expanded', on)
            on && read(a.article_id)
          },
        },
        t(ANSWER) + ': ' + a.title,
      )
      items.push([toggle, text])
    }
    for (const s of rest.slice(0, a ? 2 : 3))
      items.push([h('a', { 'data-fd': 'form-article', href: new URL(s.url, helpBase() + '/').href, target: '_blank', rel: 'noopener', onclick: () => read(s.article_id) }, s.title)])
    box.hidden = !items[0]
    box.replaceChildren(h('p', { id, class: 'mu', text: t(MAY_HELP) }), h('ul', {}, ...items.map((x) => h('li', {}, ...x))))
    if (!items[0]) return
    form == 'contact' && box.scrollIntoView({ block: 'nearest' }) // within the panel
    const ids = [a && a.article_id, ...rest.slice(0, a ? 2 : 3).map((s) => s.article_id)].filter((x) => x)
    for (const x of ids) shown.some((s) => s.article_id == x) || shown.push({ article_id: x, answered: x == (a && a.article_id) })
    shown.splice(12)
    log('form_suggestions_shown', { form, request_id: d.request_id || null, article_ids: ids, answered: !!a })
  })
  field.addEventListener('input', () => (clearTimeout(timer), (timer = setTimeout(run, 900))))
  return { box, shown, run }
}
