// The panel's stylesheet, adopted by the shadow root after the first load's (styles.js), and
// its part of the theme: its side, its size, and up to 640px wide, the whole visual viewport.
import { extra } from './styles.js'

extra.push(
  ({ width: w, height: h, offsetLeft: x, offsetTop: y }, side) => `.p{${side}:20px;max-width:${w - 40}px;height:${Math.min(600, h - 100)}px}\
${w > 640 ? '' : `.w .p{position:fixed;inset:${y}px auto auto ${x}px;width:${w}px;max-width:none;height:${h}px;border:0;border-radius:0}`}`,
)

export const panelCss = `.w{--er:#b3261e}\
@media(prefers-color-scheme:dark){.w{--er:#ffa198}}\
[hidden]{display:none!important}\
input,textarea{font:inherit;color:inherit;padding:8px 12px;border:1px solid var(--mu);border-radius:8px;background:var(--bg);width:100%;font-size:16px}\
textarea{height:130px}\
.pr,.q{background:var(--a);color:var(--on);border-color:#0000}\
a{color:var(--ln)}\
.p,.hd{display:flex;gap:8px;align-items:center}\
.p{position:absolute;bottom:80px;background:var(--bg);border:1px solid var(--bd);border-radius:12px;box-shadow:0 12px 40px #0005;animation:fd .2s;width:380px;flex-direction:column;align-items:stretch;gap:0;overflow:hidden}\
.hd{padding:8px 16px;border-bottom:1px solid var(--bd)}\
h2{flex:1;font-size:17px}\
.b{flex:1;overflow:auto;padding:16px}\
.f{position:relative;padding:8px 16px 16px;border-top:1px solid var(--bd)}\
label{display:block;font-size:14px;font-weight:600;margin:8px 0 4px}\
[aria-invalid=true]{border-color:var(--er)}\
.mu,li p{color:var(--mu);font-size:14px}\
.q{width:fit-content;max-width:85%;margin:16px 0 8px;margin-inline-start:auto;padding:8px 12px;border-radius:14px}\
blockquote{padding-inline-start:12px;border-inline-start:3px solid var(--mu);white-space:pre-line}\
.c ul{list-style:none}\
.c li,.a>*>*,.fb *{margin-top:8px}\
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
[data-fd=page-help]{margin-bottom:16px}\
.pq{width:100%;text-align:start;font-weight:400}\
.sg{margin-top:8px;padding:8px 12px 12px;border:1px solid var(--bd);border-radius:8px;background:var(--bg)}\
.sg ul{list-style:none}\
.sg li,.sg blockquote{margin-top:8px}\
.sg li p{margin-top:6px}\
.sg li>button{width:100%;text-align:start}\
.dx{position:fixed;margin:0;max-height:50vh;overflow:auto;box-shadow:0 6px 20px #0003}`
