/**
 * The page's stylesheet, served by the example at `<basePath>/style.css`. It follows the look of the
 * other examples' pages: a centred column, bordered cards, state colours, a dark variant.
 */
export const PAGE_STYLESHEET = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin:1.8rem 0 .4rem}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
.card{border:1px solid #d8dee4;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}.card th{width:9rem;font-weight:600}.card tr:last-child>*{border-bottom:0}.runs{font-size:.9rem}.nowrap{white-space:nowrap}
.state{font-weight:600}.succeeded{color:#1a7f37}.failed{color:#cf222e}.scheduled,.processing,.enqueued,.awaiting{color:#9a6700}.paused{color:#9a6700;font-weight:600}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}.small{color:#555;font-size:.9rem}
@media (prefers-color-scheme:dark){body{background:#15181c;color:#e6e8eb}.card{border-color:#30363d}code{background:#22272e}td,th{border-color:#30363d}.small{color:#a0a8b0}a{color:#79b8ff}
.succeeded{color:#3fb950}.failed{color:#ff7b72}.scheduled,.processing,.enqueued,.awaiting,.paused{color:#d4a72c}}`;
