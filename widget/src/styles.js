// Styles: the shadow root's constructed stylesheets (no <style>, no style attributes, so a
// strict style-src CSP is fine; each line ends in \ so that no newline is shipped).
// base: complete styles that page CSS cannot reach;
// theme(): accent colour with readable text on it, link colours, z-index, side, and the
// visual viewport's height on phones.
import { cfg } from './config.js'

export const base = `:host{all:initial!important;display:block!important;position:fixed!important}\
.w{--bg:#fff;--fg:#1f2328;--mu:#59636e;--bd:#d1d9e0;--s:#f3f5f7;--er:#b3261e;font:15px/1.5 system-ui,-apple-system,sans-serif;color:var(--fg)}\
@media(prefers-color-scheme:dark){.w{--bg:#17191e;--fg:#e6edf3;--mu:#a3acb7;--bd:#3d444d;--s:#262a31;--er:#ffa198}}\
*{box-sizing:border-box;margin:0;padding:0}\
[hidden]{display:none!important}\
button,input,textarea{font:inherit;color:inherit;padding:8px 12px;border:1px solid var(--mu);border-radius:8px;background:var(--bg)}\
button{cursor:pointer;background:var(--s);font-weight:600}\
input,textarea{width:100%;font-size:16px}\
textarea{height:130px}\
.pr,.l,.q{background:var(--a);color:var(--on);border-color:#0000}\
a{color:var(--ln)}\
:focus-visible{outline:3px solid var(--ln);outline-offset:2px}\
svg{width:20px;fill:none;stroke:currentColor;stroke-width:2}\
.l,.p,.hd,.row,.x{display:flex;gap:8px;align-items:center}\
.l{position:absolute;bottom:20px;height:48px;padding:0 20px;border-radius:24px;box-shadow:0 4px 14px #0004;white-space:nowrap}\
.p,.t{position:absolute;bottom:80px}\
.p,.t>*{background:var(--bg);border:1px solid var(--bd);border-radius:12px;box-shadow:0 12px 40px #0005;animation:fd .2s}\
.p{width:380px;flex-direction:column;align-items:stretch;gap:0;overflow:hidden}\
@keyframes fd{from{opacity:0}}\
.hd{padding:8px 16px;border-bottom:1px solid var(--bd)}\
h2{flex:1;font-size:17px}\
.x{border:0;background:none}\
.b{flex:1;overflow:auto;padding:16px}\
.f{position:relative;padding:8px 16px 16px;border-top:1px solid var(--bd)}\
label{display:block;font-size:14px;font-weight:600;margin:8px 0 4px}\
[aria-invalid=true]{border-color:var(--er)}\
.mu,li p{color:var(--mu);font-size:14px}\
.q{width:fit-content;max-width:85%;margin:16px 0 8px;margin-inline-start:auto;padding:8px 12px;border-radius:14px}\
blockquote{padding-inline-start:12px;border-inline-start:3px solid var(--mu);white-space:pre-line}\
.c ul{list-style:none}\
.c li,.a>*>*,.fb *,.t>*>*{margin-top:8px}\
h3{font-size:15px;margin-top:16px}\
.fb button{margin-inline-end:8px}\
.lb{position:absolute;bottom:90%;inset-inline:16px;max-height:240px;overflow:auto;padding:4px;background:var(--bg);border:1px solid var(--bd);border-radius:8px;box-shadow:0 6px 20px #0003}\
[role=option]{padding:8px;cursor:pointer}\
[role=option]:hover,.on{background:var(--s);outline:2px solid var(--ln)}\
.sr{position:absolute;clip-path:inset(50%)}\
.er{color:var(--er);font-weight:600}\
.rd *{margin-top:10px}\
.rd h1{font-size:20px}\
.rd h2,.rd h3{font-size:16px}\
.rd ul,.rd ol{padding-inline-start:22px}\
.rd pre{overflow:auto}\
.rd img{max-width:100%}\
.t{width:300px}\
.t>*{padding:0 16px 16px}\
.t p{flex:1}\
.t>*>button{width:100%}\
@media(prefers-reduced-motion:reduce){*{animation:none!important}}`

const lum = (hex) => {
  const c = hex.length < 5 ? hex.replace(/\w/g, '$&$&') : hex
  return [1, 3, 5]
    .map((i) => parseInt(c.substr(i, 2), 16) / 255)
    .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0)
}
const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)

// Placed against the visual viewport, which pinch zoom, the on-screen keyboard or a host
// page wider than the phone can move within the layout viewport (what position:fixed
// follows): the host element sits at its bottom corner. Up to 640px wide, the panel covers it.
export const theme = () => {
  const a = /^#([\da-f]{3}){1,2}$/i.test(cfg.color) ? cfg.color : '#2456c9'
  const L = lum(a)
  const z = Math.min(2147483647, Math.max(0, parseInt(cfg.zIndex) || 2147483e3))
  const left = cfg.position == 'left' || (cfg.position != 'right' && cfg.rtl)
  const { width: w, height: h, offsetLeft: x, offsetTop: y } = window.visualViewport || { width: innerWidth, height: innerHeight, offsetLeft: 0, offsetTop: 0 }
  // text on the accent: white or black, whichever contrasts more (always ≥ 4.58:1)
  // links: the accent where it is readable on the panel, else the body text colour
  return `:host{z-index:${z}!important;left:${left ? x : x + w}px!important;top:${y + h}px!important}\
.l,.p,.t{${left ? 'left' : 'right'}:20px}\
.p,.t{max-width:${w - 40}px}\
.p{height:${Math.min(600, h - 100)}px}\
.w{--a:${a};--on:${ratio(L, 1) > ratio(L, 0) ? '#fff' : '#000'};--ln:${ratio(L, 1) < 4.5 ? '#1f2328' : a}}\
@media(prefers-color-scheme:dark){.w{--ln:${ratio(L, lum('#17191e')) < 4.5 ? '#e6edf3' : a}}}\
${w > 640 ? '' : `.w .p{position:fixed;inset:${y}px auto auto ${x}px;width:${w}px;max-width:none;height:${h}px;border:0;border-radius:0}`}`
}
