/**
 * The console's stylesheet: dark, one accent, a single column on a phone.
 * Served inline (the page's CSP allows inline styles, nothing external).
 *
 * @module
 */

export const CONSOLE_CSS = String.raw`
:root { --bg:#0f1419; --panel:#182029; --panel2:#1e2833; --line:#2a3746; --text:#e6edf3; --dim:#93a1af;
        --ok:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#58a6ff; --focus:#ffd33d; }
* { box-sizing:border-box; }
[hidden] { display:none !important; }
html { -webkit-text-size-adjust:100%; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--text); }
a { color:var(--accent); }
:focus-visible { outline:2px solid var(--focus); outline-offset:2px; }
header { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem .9rem; padding:.6rem 1rem;
         border-bottom:1px solid var(--line); position:sticky; top:0; background:var(--bg); z-index:5; }
header h1 { font-size:1.1rem; margin:0; }
nav { display:flex; gap:.25rem; flex:1; overflow-x:auto; }
nav button { background:none; color:var(--dim); border:1px solid transparent; padding:.35rem .7rem; font-weight:500; white-space:nowrap; }
nav button[aria-selected="true"] { color:var(--text); border-color:var(--line); background:var(--panel); }
.dot { width:.6rem; height:.6rem; border-radius:50%; background:var(--dim); display:inline-block; }
.dot.live { background:var(--ok); box-shadow:0 0 6px var(--ok); }
main { padding:1rem; max-width:1200px; margin:0 auto; }
h2 { font-size:.8rem; text-transform:uppercase; letter-spacing:.08em; color:var(--dim); margin:1.4rem 0 .6rem; }
.bar-row { display:flex; align-items:center; justify-content:space-between; gap:.6rem; flex-wrap:wrap; margin:1.2rem 0 .6rem; }
.bar-row h2 { margin:0; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(290px,1fr)); gap:.75rem; align-items:start; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:.8rem .9rem; min-width:0; }
.card .top { display:flex; justify-content:space-between; align-items:center; gap:.5rem; }
.card .id { font-weight:600; overflow-wrap:anywhere; }
.card.state-cooling { border-color:rgba(210,153,34,.55); }
.card.state-disabled { border-color:rgba(248,81,73,.55); }
.badge { font-size:.75rem; font-weight:600; padding:.1rem .55rem; border-radius:999px; white-space:nowrap; }
.state-active .badge.state, .badge.state-active { background:rgba(63,185,80,.15); color:var(--ok); }
.badge.state-cooling { background:rgba(210,153,34,.15); color:var(--warn); }
.card.state-spent { border-color:rgba(210,153,34,.55); }
.badge.state-spent { background:rgba(210,153,34,.15); color:var(--warn); }
.badge.state-disabled { background:rgba(248,81,73,.15); color:var(--bad); }
.meta { color:var(--dim); font-size:.85rem; margin-top:.3rem; overflow-wrap:anywhere; }
.kv { display:flex; flex-wrap:wrap; gap:.2rem 1rem; margin-top:.45rem; font-size:.85rem; }
.kv b { font-weight:600; }
.countdown, .tick { color:var(--warn); font-variant-numeric:tabular-nums; }
.returns { color:var(--warn); font-size:.88rem; margin-top:.3rem; }
.quota { margin-top:.55rem; display:grid; gap:.4rem; }
.quota .label { display:flex; justify-content:space-between; gap:.5rem; font-size:.8rem; color:var(--dim); }
.quota .label b { color:var(--text); font-weight:600; }
.meter { height:8px; background:var(--line); border-radius:4px; overflow:hidden; }
.meter i { display:block; height:100%; background:var(--accent); border-radius:4px; }
.meter.high i { background:var(--warn); }
.meter.full i { background:var(--bad); }
.budgets { display:grid; gap:10px; margin-bottom:12px; }
.budget .meter { margin-top:4px; }
td.warn { color:var(--warn); }
.actions { display:flex; flex-wrap:wrap; gap:.4rem; margin-top:.7rem; }
table { width:100%; border-collapse:collapse; font-size:.88rem; }
th, td { text-align:left; padding:.45rem .4rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--dim); font-weight:500; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
td .actions { margin-top:0; }
ul.events { list-style:none; margin:0; padding:0; }
ul.events li { padding:.45rem .2rem; border-bottom:1px solid var(--line); font-size:.88rem; }
.empty { color:var(--dim); font-size:.9rem; }
.scroll { overflow-x:auto; }
button, input, select, textarea { font:inherit; border-radius:8px; border:1px solid var(--line); padding:.5rem .7rem; }
input, select, textarea { width:100%; background:var(--bg); color:var(--text); }
textarea { min-height:5rem; font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:.85rem; }
input[type=checkbox] { width:auto; }
button { background:var(--accent); color:#04111f; border-color:var(--accent); font-weight:600; cursor:pointer; }
button.plain { background:var(--panel2); color:var(--text); border-color:var(--line); font-weight:500; }
button.small { padding:.25rem .6rem; font-size:.82rem; }
button.danger { background:none; color:var(--bad); border-color:rgba(248,81,73,.5); }
button:disabled { opacity:.55; cursor:default; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); gap:.75rem; }
.tile { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:.7rem .9rem; }
.tile b { display:block; font-size:1.5rem; font-variant-numeric:tabular-nums; }
.tile span { color:var(--dim); font-size:.8rem; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr)); gap:.75rem; }
.chart { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:.7rem .8rem; min-width:0; margin:0; }
.chart h3 { font-size:.9rem; margin:0 0 .4rem; font-weight:600; }
.unit-toggle { float:right; display:inline-flex; gap:.25rem; }
.unit-toggle button[aria-pressed="true"] { border-color:var(--accent); }
.chart svg { width:100%; height:auto; display:block; }
.chart .axis { fill:var(--dim); font-size:10px; }
.chart .grid-line { stroke:var(--line); stroke-width:1; }
.legend { display:flex; flex-wrap:wrap; gap:.2rem .9rem; font-size:.8rem; color:var(--dim); margin-top:.3rem; }
.legend i { display:inline-block; width:.7rem; height:.7rem; border-radius:2px; margin-right:.3rem; vertical-align:-1px; }
dialog { background:var(--panel); color:var(--text); border:1px solid var(--line); border-radius:12px; padding:0;
         width:min(560px, calc(100vw - 1.2rem)); max-height:calc(100dvh - 1.2rem); }
dialog::backdrop { background:rgba(0,0,0,.6); }
dialog form, dialog .body { padding:1rem 1.1rem; display:grid; gap:.7rem; }
dialog h3 { margin:0; font-size:1.05rem; }
.field { display:grid; gap:.25rem; }
.field label { font-size:.85rem; color:var(--dim); }
.field .hint { font-size:.78rem; color:var(--dim); }
.field-error, .form-error { color:var(--bad); font-size:.84rem; min-height:0; }
.field-error:empty, .form-error:empty { display:none; }
.field.invalid input, .field.invalid select, .field.invalid textarea { border-color:var(--bad); }
.row2 { display:grid; grid-template-columns:1fr 1fr; gap:.7rem; }
.check { display:flex; gap:.5rem; align-items:center; font-size:.9rem; }
.buttons { display:flex; gap:.5rem; justify-content:flex-end; flex-wrap:wrap; }
details summary { cursor:pointer; color:var(--dim); font-size:.88rem; }
details[open] summary { margin-bottom:.6rem; }
.kinds { display:grid; grid-template-columns:1fr 1fr; gap:.5rem; }
.kinds button { text-align:left; padding:.7rem; background:var(--panel2); color:var(--text); border-color:var(--line); font-weight:500; }
.kinds button b { display:block; }
.kinds button span { color:var(--dim); font-size:.8rem; }
.secret { display:flex; gap:.4rem; }
.secret input { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; }
pre { background:var(--bg); border:1px solid var(--line); border-radius:8px; padding:.6rem .7rem; margin:0;
      overflow-x:auto; font-size:.8rem; white-space:pre; }
.tabs { display:flex; gap:.3rem; flex-wrap:wrap; }
.tabs button { background:none; color:var(--dim); border-color:var(--line); padding:.25rem .6rem; font-size:.82rem; font-weight:500; }
.tabs button[aria-selected="true"] { color:var(--text); background:var(--panel2); }
.signin { max-width:380px; margin:4rem auto; background:var(--panel); padding:1.2rem; border:1px solid var(--line);
          border-radius:10px; display:grid; gap:.6rem; }
.notice { max-width:560px; margin:4rem auto; background:var(--panel); padding:1.2rem; border:1px solid var(--line); border-radius:10px; }
.notice code, .signin code { background:var(--bg); padding:.05rem .3rem; border-radius:4px; }
#toast { position:fixed; left:50%; bottom:1rem; transform:translateX(-50%); background:var(--panel2); border:1px solid var(--line);
         border-radius:8px; padding:.55rem .9rem; font-size:.9rem; z-index:20; max-width:calc(100vw - 2rem); }
#toast.bad { border-color:var(--bad); color:#ffd7d5; }
.sr { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
@media (max-width:640px) {
  main { padding:.7rem; }
  .hide-sm { display:none; }
  .row2, .kinds { grid-template-columns:1fr; }
  header { padding:.5rem .7rem; }
  nav { order:3; flex-basis:100%; }
  .charts { grid-template-columns:1fr; }
}
`;
