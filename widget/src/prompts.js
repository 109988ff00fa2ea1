// Prompts: proactive help. The server lists the prompts that can apply to this page (asked
// again on every navigation); their triggers run here. Among prompts whose triggers fire,
// the first one its caps (max_shows, cooldown, dismissed, the daily budget), audience and
// holdout allow wins: a small bubble by the launcher (a polite live region; never focused).
import { cfg } from './config.js'
import { h, btn, icon, safe } from './dom.js'
import { t } from './i18n.js'
import { DISMISS, GET_HELP, READ } from './keys.js'
import { req } from './http.js'
import { log } from './events.js'
import { on, off, emit } from './bus.js'
import { href, route } from './page.js'
import { load, save, key, session, visitor } from './storage.js'
import { user } from './user.js'
import { tip, launcher, isOpen } from './launcher.js'
import { use, warm } from './lazy.js'

let offs = []
let data
let at, timer, visits
let seq = 0

export const track = (name) => emit('track:' + name)

// the prompts for this page, as the server listed them (the panel shows their questions)
export const pagePrompts = () => data

// listeners, timers and observers of this page's triggers, undone on the next page
const L = (o, types, f, g = safe(f)) => types.split(' ').map((t) => (o.addEventListener(t, g, !0), offs.push(() => o.removeEventListener(t, g, !0))))
const watch = (f, o = new MutationObserver(f)) => (f(), offs.push(() => o.disconnect()), o.observe(document.documentElement, { subtree: !0, childList: !0, attributes: !0 }))
const all = (sel) => document.querySelectorAll(sel)

// f(text) for each error that appears: becomes visible, or shows other text
const errors = (x, f, was = new Map()) =>
  watch(() => {
    const now = new Map()
    for (const e of all(x.selector)) if (e.getClientRects().length) now.set(e, e.textContent.trim()), was.get(e) === now.get(e) || f(now.get(e))
    was = now
  })

const triggers = {
  delay: (x, go, i = setTimeout(go, x.seconds * 1e3)) => offs.push(() => clearTimeout(i)),
  idle: (x, go, i) => {
    const r = () => (clearTimeout(i), document.hidden || (i = setTimeout(go, x.seconds * 1e3)))
    L(document, 'keydown pointerdown scroll mousemove visibilitychange', r)
    r()
    offs.push(() => clearTimeout(i))
  },
  exit_intent: (x, go) => L(document, 'mouseout', (e) => e.relatedTarget || e.clientY > 0 || go()),
  scroll_depth: (x, go) => L(document, 'scroll', () => (scrollY + innerHeight) * 100 >= x.percent * document.documentElement.scrollHeight && go()),
  click: (x, go) => L(document, 'click', (e) => e.target.closest(x.selector) && go()),
  element_visible: (x, go, o = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && go())) => (
    watch(() => all(x.selector).forEach((e) => o.observe(e))), offs.push(() => o.disconnect())
  ),
  error_shown: (x, go) => errors(x, go),
  repeated_errors: (x, go, n = {}) => errors(x, (v) => (n[v] = -~n[v]) >= x.count && go()),
  rage_clicks: (x, go, c = []) =>
    L(document, 'click', (e) => e.detail && (c = [e, ...c.filter((k) => e.timeStamp - k.timeStamp < x.within_ms && Math.hypot(k.x - e.x, k.y - e.y) <= x.radius_px)])[x.count - 1] && go()),
  visit_count: (x, go) => visits == x.count && go(),
  event: (x, go, n = 'track:' + x.name) => (on(n, go), offs.push(() => off(n, go))),
}

// A trigger fired. Triggers fire in the prompts' order (best first) when they fire together
// (observers and listeners run in the order they were set up), so the first eligible wins.
const fire = safe((p) => {
  const id = p.id
  const a = p.audience
  const now = Date.now()
  const s = load(key('prompts')) || {} // prompt id → [times shown, last shown]; _: today's shows
  const [n = 0, last = 0] = s[id] || []
  const day = (s._ || []).filter((x) => now - x < 864e5)
  if (
    isOpen || tip.firstChild || day.length >= data.limits.per_visitor_per_day ||
    !(n < p.max_shows && now - last >= p.cooldown_seconds * 1e3 &&
      (a.visitor == 'any' || (a.visitor == 'new') == (load(key('first')) == session())) &&
      (a.identified == null || a.identified == !!user?.id) &&
      Object.entries(a.traits).every(([k, v]) => [].concat(v).includes(user?.traits?.[k])))
  )
    return
  const caps = (c, s = load(key('prompts')) || {}) => ((s[id] = c), save(key('prompts'), s))
  const done = (action, target) => (tip.replaceChildren(), log('prompt_clicked', { prompt_id: id, action, target }))
  const act = (label, f) => btn('prompt-action', label, f)
  // the holdout: 32-bit FNV-1a of the UTF-8 bytes, as the server computes it
  let v = 0x811c9dc5
  for (const b of new TextEncoder().encode(visitor() + ':' + id)) v = Math.imul(v ^ b, 0x01000193) >>> 0
  const group = v % 1e4 < p.holdout * 100 ? 'holdout' : 'shown'
  s._ = [...day, now]
  caps([n + 1, now], s)
  log('prompt_eligible', { prompt_id: id, group })
  if (group == 'holdout') return
  const b = h(
    'div',
    {
      'data-fd': 'prompt',
      'data-prompt-id': id,
      onkeydown: (e) => e.key == 'Escape' && dismiss(),
    },
    h(
      'div',
      { class: 'row' },
      h('p', { 'data-fd': 'prompt-message', text: p.message }),
      h('button', { class: 'x', 'data-fd': 'prompt-dismiss', 'aria-label': t(DISMISS), onclick: (e) => dismiss() }, icon('M6 6l12 12M18 6 6 18')),
    ),
    ...p.questions.map((q) => act(q, () => (done('question', q), use((x) => (x.open('prompt'), x.views.ask(q)))))),
    ...p.articles.map((a, i, x) => {
      x = act(t(READ), () => (done('article', a), use((p) => p.views.article(a, '', 'prompt'))))
      safe(async () => (x.textContent = (await req('/api/v1/articles/' + encodeURIComponent(a))).d.title || x.textContent))()
      return x
    }),
    !(p.questions[0] || p.articles[0]) && act(t(GET_HELP), () => (done('open'), use((x) => x.open('prompt')))),
  )
  // dismissed for good: counted past any max_shows; focus inside goes back to the launcher
  const dismiss = (inside = b.matches(':focus-within')) => {
    caps([1e9])
    tip.replaceChildren()
    inside && launcher.focus()
    log('prompt_dismissed', { prompt_id: id })
  }
  tip.append(b)
  warm() // the user may well open help now
  log('prompt_shown', { prompt_id: id })
})

export const stop = () => {
  offs.map((f) => f())
  offs = []
  tip && tip.replaceChildren()
}

// the page's prompts, once the host had a moment to say its route; again when it changes
const evaluate = safe(async () => {
  const r = route()
  const k = location.pathname + ' ' + r
  if (k == at) return
  at = k
  const n = ++seq
  stop()
  const v = load(key('visits')) || {}
  const pk = r || location.pathname
  visits = v[pk] = -~v[pk]
  const ks = Object.keys(v)
  ks[200] && delete v[ks[0]]
  save(key('visits'), v)
  const d = (await req('/api/v1/prompts?' + new URLSearchParams({ url: href(), locale: cfg.locale, ...(r && { route: r }) }))).d
  if (n != seq) return
  data = d
  for (const p of d.prompts) safe(triggers[p.trigger.type])(p.trigger, () => fire(p))
})

export const refresh = () => {
  clearTimeout(timer)
  timer = setTimeout(evaluate, 50)
}

export const start = () => {
  on('page_changed', refresh)
  refresh()
}

export const end = () => {
  seq++
  at = 0
  clearTimeout(timer)
  stop()
}
