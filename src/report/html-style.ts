/** The HTML report's stylesheet, inlined in its <style> (the page's Content-Security-Policy allows inline styles only). */
export const STYLE = `
:root{color-scheme:light dark;--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--pending:#9a6700;--line:#d0d7de;--muted:#57606a}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1.5rem;max-width:1200px;margin-inline:auto}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1rem;margin:0 0 .4rem;word-break:break-all}h3{font-size:.95rem;margin:.8rem 0 .3rem}h4{margin:.5rem 0 .2rem;font-size:.9rem}
header{border-bottom:1px solid var(--line);padding-bottom:1rem;margin-bottom:1rem}
.headline{font-size:1.1rem}
.facts{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;margin:.4rem 0}.facts div{display:flex;gap:.35rem}.facts dt{color:var(--muted)}.facts dd{margin:0;word-break:break-all}
.note{color:var(--muted)}
.regression{color:var(--fail);font-weight:600}.baseline h2{margin-top:.6rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;color:#fff;font-weight:600;font-size:.85rem}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}.badge.error{background:var(--error)}.badge.pending{background:var(--pending)}
.card{display:grid;grid-template-columns:180px 1fr;gap:1rem;border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;padding:1rem;margin:0 0 1rem}
.card.pass{border-left-color:var(--pass)}.card.fail{border-left-color:var(--fail)}.card.error{border-left-color:var(--error)}.card.pending{border-left-color:var(--pending)}
.thumb img{max-width:180px;max-height:180px;display:block;border-radius:4px}.thumb small{display:block;color:var(--muted)}.thumb span{word-break:break-all}
.body{min-width:0}
.score{display:flex;align-items:center;gap:.6rem}.bar{position:relative;width:200px;height:10px;background:var(--line);border-radius:5px;overflow:visible}
.fill{height:100%;border-radius:5px}.fill.ok{background:var(--pass)}.fill.low{background:var(--fail)}
.mark{position:absolute;top:-3px;width:2px;height:16px;background:currentColor}
table{border-collapse:collapse;width:100%;margin:.3rem 0;font-size:.9rem}th,td{border:1px solid var(--line);padding:.25rem .4rem;text-align:left;vertical-align:top}
td.no{color:var(--fail);font-weight:600}td ul{margin:0;padding-left:1rem}.where{color:var(--muted)}
.text,td.text{white-space:pre-wrap}pre{white-space:pre-wrap;background:rgba(127,127,127,.12);padding:.5rem;border-radius:4px}
@media (max-width:640px){.card{grid-template-columns:1fr}}
`.trim();
