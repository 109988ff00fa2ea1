// Page help: what the panel shows when it opens, before the user types: up to three articles
// whose `pages` match the page (its route when the host gave one, else the URL) and the
// questions of the page's prompts. Shown again only when the page changed.
import { cfg } from './config.js'
import { h, btn, safe } from './dom.js'
import { t } from './strings.js'
import { ON_PAGE, QUESTIONS } from './keys.js'
import { req } from './http.js'
import { log } from './events.js'
import { href, route } from './page.js'
import { helpBase } from './pageinfo.js'
import { pagePrompts } from './prompts.js'
import { conv, views } from './panel.js'

let at, box

const home = safe(async () => {
  const r = route()
  const k = href() + ' ' + r
  if (k == at) return
  at = k
  const d = (await req('/api/v1/page-articles?' + new URLSearchParams({ url: href(), locale: cfg.locale, ...(r && { route: r }) }))).d
  if (k != at) return
  const arts = ((d && d.articles) || []).slice(0, 3)
  const qs = [...new Set((pagePrompts()?.prompts || []).flatMap((p) => p.questions))].slice(0, 3)
  box && box.remove()
  box = 0
  if (!arts[0] && !qs[0]) return
  const list = (items) => h('ul', {}, ...items.map((x) => h('li', {}, x)))
  box = h(
    'section',
    { 'data-fd': 'page-help', 'aria-labelledby': 'fd-ph' },
    h('h3', { id: 'fd-ph', text: t(ON_PAGE) }),
    arts[0] &&
      list(
        arts.map((a) =>
          h(
            'a',
            {
              'data-fd': 'page-article',
              href: new URL(a.url, helpBase() + '/').href,
              onclick: (e) => e.ctrlKey || e.metaKey || e.shiftKey || (e.preventDefault(), views.article(a.article_id, a.url, 'page')),
            },
            a.title,
          ),
        ),
      ),
    qs[0] && h('h3', { text: t(QUESTIONS) }),
    qs[0] && list(qs.map((q) => btn('page-question', q, () => views.ask(q, 0, 'page'), 'pq'))),
  )
  conv.prepend(box)
  log('page_help_shown', { article_ids: arts.map((a) => a.article_id), questions: qs.length })
})

views.home = home
