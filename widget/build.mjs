// The widget's build: two files, both minified IIFEs (a classic <script>, no eval, no
// module loader, so a strict CSP needs only the Frontdesk origin in script-src).
//   dist/widget.js  the first load (src/main.js): launcher, pre-load queue, events, prompts
//   dist/panel.js   the panel and its views (src/chunk.js), fetched when the user is about
//                   to open help, as /widget/<its content hash>.js
// The panel shares the first load's modules instead of bundling copies: what it imports from
// a module of the first load is read from `core`, which the first load hands over as
// `window.Frontdesk.fd` (src/core.js is written here). keys.js, constants only, is bundled
// into both, so that its numbers are inlined.
// `node build.mjs [outdir] [--meta]`: --meta also writes each build's esbuild metafile.
import * as esbuild from 'esbuild'
import { minify } from 'terser'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'

const args = process.argv.slice(2)
const out = resolve(args.find((a) => !a.startsWith('--')) || 'dist')
const options = { bundle: true, format: 'iife', minify: true, target: 'es2020', legalComments: 'none', write: false, metafile: true }
const src = (p) => readFileSync(p, 'utf8')

// core: the names the panel imports from the first load's modules
let core = 'export const core = []'
const coreModule = {
  name: 'core',
  setup(b) {
    b.onResolve({ filter: /\/core\.js$/ }, (a) => ({ path: resolve(a.resolveDir, a.path), namespace: 'core' }))
    b.onLoad({ filter: /.*/, namespace: 'core' }, () => ({ contents: core, loader: 'js', resolveDir: resolve('src') }))
  },
}
const first = (hash) => esbuild.build({ ...options, entryPoints: ['src/main.js'], define: { PANEL_HASH: JSON.stringify(hash) }, plugins: [coreModule] })

const shared = new Set(Object.keys((await first('')).metafile.inputs).map((p) => resolve(p)).filter((p) => basename(p) != 'keys.js'))
const lets = (p) => new Set([...src(p).matchAll(/export let ([\w, ]+)/g)].flatMap((m) => m[1].split(',').map((n) => n.trim())))

// Each name the panel imports from the first load gets a place in `core`, an array (no
// names shipped in the first load): core[i] is the value, or for a `let` a function that
// reads it. The panel's stand-in for a module of the first load reads its names from there.
const wanted = new Map() // module path → names the panel imports from it
const places = new Map() // name → [place, module path]
const toCore = {
  name: 'to-core',
  setup(b) {
    b.onResolve({ filter: /^\.\/.*\.js$/ }, (a) => {
      const p = resolve(a.resolveDir, a.path)
      return shared.has(p) ? { path: p, namespace: 'shared' } : undefined
    })
    b.onLoad({ filter: /.*/, namespace: 'shared' }, (a) => {
      const live = lets(a.path)
      const fields = [...(wanted.get(a.path) || [])].map((n) => {
        const i = places.get(n)?.[0]
        return live.has(n) ? `get ${n}() { return c[${i}]() }` : `${n}: c[${i}]`
      })
      return { contents: `const c = window.Frontdesk.fd\nmodule.exports = { ${fields.join(', ')} }`, loader: 'js' }
    })
    b.onLoad({ filter: /\.js$/ }, (a) => {
      const text = src(a.path)
      for (const [, names, from] of text.matchAll(/import \{([^}]*)\} from '(\.\/[\w.]+)'/g)) {
        const p = resolve('src', from)
        if (!shared.has(p)) continue
        const set = wanted.get(p) || new Set()
        for (const n of names.split(',')) set.add(n.trim().split(/\s+as\s+/)[0])
        wanted.set(p, set)
      }
      return { contents: text, loader: 'js' }
    })
  },
}
const chunk = () => esbuild.build({ ...options, entryPoints: ['src/chunk.js'], plugins: [toCore] })
await chunk() // finds the names
for (const [p, names] of wanted)
  for (const n of [...names].sort()) {
    if (places.has(n)) throw new Error(`the panel imports ${n} from two modules of the first load`)
    places.set(n, [places.size, p])
  }
const panel = await chunk()
// terser after esbuild: a hundred bytes or two less, gzipped, than esbuild's minifier alone
const squeeze = async (r) => Buffer.from((await minify(r.outputFiles[0].text, { ecma: 2020, compress: { passes: 3 }, mangle: true })).code)
const panelJs = await squeeze(panel)
// as server/host/widget_asset.py names it
const hash = createHash('sha256').update(panelJs).digest('hex').slice(0, 16)

const byModule = new Map()
for (const [n, [, p]] of places) byModule.set(p, [...(byModule.get(p) || []), n])
core = [
  ...[...byModule].map(([p, names]) => `import { ${names.map((n) => `${n} as _${n}`).join(', ')} } from './${basename(p)}'`),
  `export const core = [${[...places].map(([n, [, p]]) => (lets(p).has(n) ? `() => _${n}` : `_${n}`)).join(', ')}]`,
].join('\n')
const loader = await first(hash)

mkdirSync(out, { recursive: true })
writeFileSync(resolve(out, 'widget.js'), await squeeze(loader))
writeFileSync(resolve(out, 'panel.js'), panelJs)
if (args.includes('--meta')) {
  writeFileSync(resolve(out, 'widget.meta.json'), JSON.stringify(loader.metafile))
  writeFileSync(resolve(out, 'panel.meta.json'), JSON.stringify(panel.metafile))
}
