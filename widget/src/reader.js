// Reader: an article inside the panel. Its HTML comes sanitized from the server (nh3); it
// is parsed inert (DOMParser) and its links made safe: resolved against the help base,
// opened in a new tab, "#…" scrolls here.
import { cfg } from './config.js'
import { h, safe } from './dom.js'
import { helpBase } from './pageinfo.js'
import { req } from './http.js'
import { log } from './events.js'
import { reader, body, open, screen, scrollTo, oops, views } from './panel.js'

let seq = 0

const go = (id) => {
  const el = id && reader.querySelector('#' + CSS.escape(id))
  el ? scrollTo(el) : (body.scrollTop = 0)
}

const content = (html, base) => {
  const d = new DOMParser().parseFromString(html, 'text/html').body
  for (const e of d.querySelectorAll('[href]:not([href^="#"]),[src]')) {
    const n = e.src == null ? 'href' : 'src'
    let u
    try {
      u = new URL(e.getAttribute(n), base)
    } catch {}
    u && /^(https?|mailto):$/.test(u.protocol) ? e.setAttribute(n, u.href) : e.removeAttribute(n)
    e.target = '_blank'
    e.rel = 'noopener'
  }
  return h(
    'div',
    {
      onclick: (e) => {
        const a = e.target.closest('a[href^="#"]')
        a && (e.preventDefault(), go(decodeURIComponent(a.hash.slice(1))))
      },
    },
    ...d.childNodes,
  )
}

// url: where the article was linked, maybe with the #section to scroll to
const openArticle = safe(async (id, url, source) => {
  open(source == 'prompt' ? source : 'api')
  const n = ++seq
  log('article_opened', { article_id: (id = String(id)), source })
  screen(reader, h('p', { class: 'mu', text: '…' }))
  let d
  try {
    const r = await req('/api/v1/articles/' + encodeURIComponent(id))
    if (r.ok && r.d.html) d = r.d
  } catch {}
  if (n != seq) return
  if (!d) return screen(reader, ...oops(() => openArticle(id, url, source)))
  const title = h('h1', { tabindex: -1, text: d.title })
  screen(reader, title, content(d.html, new URL(d.url, helpBase() + '/')))
  title.focus({ preventScroll: true })
  go(String(url).split('#')[1])
})

views.article = openArticle
