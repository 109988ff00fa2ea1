// Contact: the hand-off to a human. A ticket form prefilled from identify and the
// conversation, with answers for the message while it is typed (suggest.js); an error keeps
// what was typed and is shown and announced as text.
import { cfg } from './config.js'
import { h } from './dom.js'
import { t } from './strings.js'
import { BAD, CONTACT, EMAIL, FAIL, MESSAGE, NAME, REQUIRED, SEND, SENT } from './keys.js'
import { req } from './http.js'
import { log } from './events.js'
import { emit } from './bus.js'
import { href } from './page.js'
import { pageInfo, helpBase } from './pageinfo.js'
import { rid, session, visitor } from './storage.js'
import { transcript, lastRequest } from './conversation.js'
import { user } from './user.js'

// the identified user as the API accepts it: id, email, name and signature when they are
// strings; traits flat, ≤ 20 strings, numbers or booleans
const who = (u = user, o = u && {}) => {
  for (const k of ['id', 'email', 'name', 'signature']) if (u && typeof u[k] == 'string') o[k] = u[k]
  if (u && u.traits) o.traits = Object.fromEntries(Object.entries(u.traits).filter(([, v]) => /^(st|bo|nu)/.test(typeof v)).slice(0, 20))
  return o
}
import { contactView, screen, say, views } from './panel.js'
import { suggest } from './suggest.js'

const field = (id, label, tag, attrs, required) => [
  h('label', { for: id }, t(label), required && h('span', { class: 'mu', text: ` (${t(REQUIRED)})` })),
  h(tag, { id, name: id, required, 'aria-required': required, ...attrs }),
]

const contact = () => {
  const id = rid() // one id per form: a retried send files the ticket once
  let busy
  log('handoff_started', { request_id: lastRequest })
  const u = who()
  const [le, email] = field('email', EMAIL, 'input', { type: 'email', autocomplete: 'email', value: u?.email }, true)
  const [ln, name] = field('name', NAME, 'input', { autocomplete: 'name', value: u?.name })
  const [lm, msg] = field('message', MESSAGE, 'textarea', {}, true)
  msg.value = transcript.map((x) => (x.role == 'user' ? 'Q: ' : 'A: ') + x.text).join('\n\n')
  const sg = suggest(msg, 'contact') // answers for the message while it is typed
  const err = h('p', { class: 'er', role: 'alert', 'data-fd': 'ticket-error' })
  const form = h(
    'form',
    {
      'data-fd': 'ticket-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault()
        if (busy) return
        err.textContent = ''
        for (const x of [email, msg]) x.setAttribute('aria-invalid', !x.checkValidity() || !x.value.trim())
        const bad = form.querySelector('[aria-invalid=true]')
        if (bad) return bad.focus(), (err.textContent = t(BAD))
        busy = 1
        let r
        try {
          r = await req('/api/v1/tickets', {
            id,
            site: cfg.site,
            email: email.value.trim(),
            name: name.value.trim(),
            message: msg.value,
            session_id: session(),
            visitor_id: visitor(),
            page_url: href(),
            page: pageInfo(),
            user: u,
            transcript,
            suggested: sg.shown,
          })
        } catch {}
        busy = 0
        const d = (r && r.d) || {}
        if (r && r.ok && d.ticket_id) {
          const ok = h('p', { tabindex: -1, 'data-fd': 'ticket-ok', text: t(SENT) + email.value.trim() + '.' })
          screen(contactView, ok)
          ok.focus()
          say(ok.textContent)
          emit('ticket', { ticket_id: d.ticket_id })
        } else err.textContent = t(FAIL) + ' ' + (d.detail || d.title || '')
      },
    },
    le, email, ln, name, lm, msg, sg.box, err,
    h('p', {}, h('button', { type: 'submit', class: 'pr', 'data-fd': 'ticket-send' }, t(SEND))),
  )
  screen(contactView, h('h3', { text: t(CONTACT) }), form)
  ;(email.value ? msg : email).focus()
}

views.contact = contact
