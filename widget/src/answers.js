// Answers: asking a question and showing the reply in the conversation (the passage with its
// citation and feedback, suggested articles, no answer, or an error with retry).
import { cfg } from './config.js'
import { h, btn, safe } from './dom.js'
import { t } from './strings.js'
import { CONTACT, ERROR, HELPFUL, NO, NONE, RELATED, SORRY, SUGGEST, THANKS, WAIT, YES } from './keys.js'
import { req } from './http.js'
import { log } from './events.js'
import { emit } from './bus.js'
import { href } from './page.js'
import { pageInfo, helpBase } from './pageinfo.js'
import { session, visitor } from './storage.js'
import { transcript, replied } from './conversation.js'
import { conv, open, show, say, scrollTo, oops, views } from './panel.js'

const link = (s, source, text = s.title, fd) =>
  h(
    'a',
    {
      'data-fd': fd,
      href: new URL(s.url, helpBase() + '/').href,
      onclick: (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return
        e.preventDefault()
        views.article(s.article_id, s.url, source)
      },
    },
    text,
  )

const contactBtn = () => h('p', {}, btn('contact', t(CONTACT), views.contact))
const list = (sources) => h('ul', {}, ...sources.map((s) => h('li', {}, link(s, 'suggestion'), s.snippet && h('p', { text: s.snippet }))))

// source 'page': one of the page's questions (pagehelp.js)
const ask = safe(async (q, turn, source) => {
  q = String(q).trim().slice(0, 1000)
  if (!q) return
  open('api')
  show(conv)
  if (!turn) {
    conv.append((turn = h('div', {}, h('p', { class: 'q', text: q }))))
    transcript.push({ role: 'user', text: q })
  }
  const box = h('div', { class: 'a' }, h('p', { class: 'mu', text: t(WAIT) }))
  turn.append(box)
  scrollTo(turn)
  // the user's earlier questions (this one is the last user line): a follow-up is read with them
  const history = transcript.filter((x) => x.role == 'user').map((x) => x.text).slice(0, -1).slice(-10)
  let d
  try {
    const r = await req('/api/v1/ask', { question: q, page_url: href(), site: cfg.site, locale: cfg.locale, session_id: session(), visitor_id: visitor(), page: pageInfo(), history })
    if (r.ok && r.d.status) d = r.d
  } catch {}
  const request_id = (d && d.request_id) || null
  const st = d ? d.status : 'error'
  const a = d && d.answer
  const sources = d ? (d.sources || []).filter((s) => !a || s.article_id != a.article_id) : []
  // the reply: announced, and remembered for the contact form
  const reply = (fd, text, kids, tag = 'p', said = text) => {
    box.replaceChildren(h('div', { 'data-fd': fd }, h(tag, { text, 'data-fd': tag != 'p' && 'passage' }), ...kids))
    say(said)
    transcript.push({ role: 'frontdesk', text: said, article_id: a && a.article_id })
  }
  log('question_asked', { question: q, request_id, status: st, source })
  if (!d) return box.replaceChildren(...oops(() => (box.remove(), ask(q, turn)))), say(t(ERROR))
  replied(request_id)
  if (st == 'answered' && a) {
    const fb = h('div', { class: 'fb', 'data-fd': 'feedback' }, h('p', { text: t(HELPFUL) }))
    for (const helpful of [true, false])
      fb.append(
        btn('feedback-' + (helpful ? 'yes' : 'no'), t(helpful ? YES : NO), () => {
          log('feedback', { request_id, article_id: a.article_id, helpful })
          // the message takes the clicked button's place, and its focus
          const p = h('p', { tabindex: -1, text: t(helpful ? THANKS : SORRY) })
          fb.replaceChildren(p, helpful ? '' : contactBtn())
          p.focus()
          say(p.textContent)
        }),
      )
    reply(
      'answer',
      a.text,
      [h('p', {}, link(a, 'answer', a.title + (a.section ? ' › ' + a.section : ''), 'citation')), fb, sources[0] && h('h3', { text: t(RELATED) }), sources[0] && list(sources)],
      'blockquote',
    )
    log('answer_shown', { request_id, article_id: a.article_id, section: a.section || '' })
  } else if (st == 'suggested' && sources[0]) {
    reply('suggestions', t(SUGGEST), [list(sources), contactBtn()], 'p', t(SUGGEST) + ' ' + sources.map((s) => s.title).join('; '))
    log('suggestion_shown', { request_id, article_ids: sources.slice(0, 5).map((s) => s.article_id) })
  } else {
    reply('no-answer', t(NONE), [contactBtn()])
    log('no_answer_shown', { request_id })
  }
  emit('answer', d)
})

views.ask = ask
