// Panel: the dialog (open/close, focus trap, Esc) inside the launcher's shadow root, its
// screens (conversation; reader and contact with a back button), the ask box with
// type-ahead, and the views, which add themselves (answers.js, reader.js, contact.js, …).
// It comes in the second file (chunk.js), fetched when the user is about to open help.
import { cfg } from './config.js'
import { h, btn, icon, safe } from './dom.js'
import { t } from './strings.js'
import { ASK, BACK, CLOSE, ERROR, LABEL, RELATED, RETRY, TITLE } from './keys.js'
import { panelCss } from './panelstyles.js'
import { log } from './events.js'
import { emit } from './bus.js'
import { href } from './page.js'
import { req } from './http.js'
import { root, wrap, launcher, isOpen, setOpen, mount as mountLauncher, css, restyle } from './launcher.js'

export let panel, input, conv, reader, contactView, body
let list, form, live, timer, from
let seq = 0
let opts = []
let act = -1

// The views, each added by its own module when it loads (chunk.js imports them): ask(question)
// from answers.js, article(id, url, source) from reader.js, contact() from contact.js, home()
// from pagehelp.js.
export const views = {}

export const say = (s) => (live.textContent = s)
export const scrollTo = (el) => (body.scrollTop += el.getBoundingClientRect().top - body.getBoundingClientRect().top - 8)
const tabbable = () => [...panel.querySelectorAll('a[href],button,input,textarea')].filter((x) => x.getClientRects().length)
const focusFirst = () => tabbable().find((x) => x.name)?.focus()

export const show = (v) => {
  for (const x of [conv, reader, contactView]) x.hidden = x != v
  form.hidden = v == contactView
  hideList()
}

// The reader or contact screen: a back button, then kids; back returns focus where it was.
export const screen = (v, ...kids) => {
  if (!conv.hidden) from = root.activeElement
  show(v)
  v.replaceChildren(
    btn(v == reader ? 'reader-back' : 'contact-back', t(BACK), () => {
      show(conv)
      from && from.isConnected ? from.focus() : focusFirst()
    }),
    ...kids,
  )
  body.scrollTop = 0
  v.firstChild.focus()
}

export const oops = (retry) => [h('p', { role: 'alert', 'data-fd': 'error', text: t(ERROR) }), btn('retry', t(RETRY), retry)]

const aria = (k, v) => (v == null ? input.removeAttribute('aria-' + k) : input.setAttribute('aria-' + k, v))
const hideList = () => {
  list.hidden = true
  aria('expanded', false)
  aria('activedescendant')
  act = -1
}

const pick = (i) => views.article(opts[i].article_id, opts[i].url, 'search')

const search = async (q) => {
  const n = ++seq
  const r = await req('/api/v1/search?' + new URLSearchParams({ q: q.slice(0, 200), page_url: href(), locale: cfg.locale }))
  if (n != seq || !r.ok) return
  opts = r.d.results.slice(0, 8)
  list.replaceChildren(...opts.map((o, i) => h('li', { role: 'option', id: 'fd-o' + i, 'aria-selected': 'false', onmousedown: (e) => e.preventDefault(), onclick: () => pick(i) }, o.title)))
  hideList()
  list.hidden = !opts[0]
  aria('expanded', !!opts[0])
}

const onKey = (e) => {
  const k = e.key
  const listed = !list.hidden && e.target == input
  if (k == 'Escape') list.hidden ? close() : hideList()
  else if (k == 'Tab') {
    const f = tabbable()
    const a = root.activeElement
    // on a non-tabbable element (a message given focus): where it sits among the tabbables
    let i = f.indexOf(a)
    if (i < 0) i = f.filter((x) => a.compareDocumentPosition(x) & 2).length - !e.shiftKey
    if (!(e.shiftKey ? i < 1 : i == f.length - 1)) return
    f[e.shiftKey ? f.length - 1 : 0].focus()
  } else if (listed && /^Arrow(Up|Down)$/.test(k)) {
    const n = opts.length
    act = ((act + (k == 'ArrowUp' ? n + 1 : 2)) % (n + 1)) - 1
    ;[...list.children].map((o, i) => {
      o.setAttribute('aria-selected', i == act)
      o.classList.toggle('on', i == act)
      i == act && o.scrollIntoView({ block: 'nearest' })
    })
    aria('activedescendant', act < 0 ? null : 'fd-o' + act)
  } else if (listed && k == 'Enter' && act >= 0) pick(act)
  else return
  e.preventDefault()
}

// into the launcher's root; again after the launcher was mounted anew ('init' with a new locale)
export const mount = () => {
  mountLauncher()
  if (panel && panel.getRootNode() == root) return
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, css(panelCss)]
  input = h('input', {
    id: 'fd-i', name: 'q', 'data-fd': 'input', role: 'combobox', autocomplete: 'off', maxlength: 1000,
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'fd-lb',
    oninput: () => {
      clearTimeout(timer)
      seq++
      const q = input.value.trim()
      q[1] ? (timer = setTimeout(safe(search), 150, q)) : hideList()
    },
    onblur: hideList,
  })
  list = h('ul', { id: 'fd-lb', class: 'lb', role: 'listbox', 'aria-label': t(RELATED), 'data-fd': 'typeahead', hidden: 1 })
  form = h(
    'form',
    {
      class: 'f', 'data-fd': 'ask-form',
      onsubmit: (e) => {
        e.preventDefault()
        clearTimeout(timer)
        seq++
        views.ask(input.value)
        input.value = ''
      },
    },
    h('label', { for: 'fd-i', text: t(LABEL) }),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'pr', 'data-fd': 'ask' }, t(ASK))),
    list,
  )
  conv = h('div', { class: 'c', 'data-fd': 'conversation' })
  reader = h('div', { class: 'rd', 'data-fd': 'reader' })
  contactView = h('div', { 'data-fd': 'contact-view' })
  body = h('div', { class: 'b' }, conv, reader, contactView)
  live = h('div', { class: 'sr', 'aria-live': 'polite' })
  panel = h(
    'div',
    { id: 'fd-p', class: 'p', role: 'dialog', 'aria-modal': true, 'aria-labelledby': 'fd-t', 'data-fd': 'panel', hidden: 1, onkeydown: onKey },
    h(
      'div',
      { class: 'hd' },
      h('h2', { id: 'fd-t', text: t(TITLE) }),
      h('button', { class: 'x', 'data-fd': 'close', 'aria-label': t(CLOSE), onclick: close }, icon('M6 6l12 12M18 6 6 18')),
    ),
    body,
    form,
    live,
  )
  show(conv)
  wrap.append(panel)
  launcher.setAttribute('aria-controls', 'fd-p')
}

const state = (o) => {
  setOpen(o)
  panel.hidden = !o
}

export const open = (source) => {
  mount()
  if (isOpen) return
  state(true)
  restyle()
  views.home && views.home()
  focusFirst()
  log('widget_opened', { source })
  emit('open', { source })
}

export const close = () => {
  if (!isOpen) return
  const inside = root.activeElement
  state(false)
  inside && launcher.focus()
  log('widget_closed', {})
  emit('close', {})
}
