/**
 * The page's stylesheet, served by the example at `<basePath>/style.css`. It follows the look of the
 * other examples' pages: a centred column, bordered forms, state colours, a dark variant.
 */
export const PAGE_STYLESHEET = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin:1.8rem 0 .4rem}form{border:1px solid #d8dee4;border-radius:8px;padding:1rem;margin:1rem 0}
label{display:block;margin:.4rem 0}input,button{font:inherit}input[type=number]{width:6rem;padding:.2rem .4rem}button{padding:.4rem 1rem;margin-top:.5rem}
.stats{display:flex;flex-wrap:wrap;gap:.6rem;list-style:none;padding:0;margin:.8rem 0}.stats li{flex:1 1 9rem;border:1px solid #d8dee4;border-radius:8px;padding:.5rem .8rem}
.stats .count{display:block;font-size:1.5rem;font-weight:600;font-variant-numeric:tabular-nums}.stats .idle{color:#6b7280}
.enqueued,.processing{color:#9a6700}.waiting{color:#cf222e}.succeeded{color:#1a7f37}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}.small{color:#555;font-size:.9rem}
@media (prefers-color-scheme:dark){body{background:#15181c;color:#e6e8eb}form,.stats li{border-color:#30363d}code{background:#22272e}.small,.stats .idle{color:#a0a8b0}a{color:#79b8ff}
.enqueued,.processing{color:#d4a72c}.waiting{color:#ff7b72}.succeeded{color:#3fb950}}`;
