'use strict';
/*
 * Runs rss-proxy's detection on one page, for bench/peer_detectors.py.
 *
 *     node bench/rss_proxy_driver.js DIR < page.json
 *
 * stdin: {"url": "...", "html": "..."} (the page already decoded to text).
 * stdout: {"rules": N, "rule": {...} | null, "runner_up": {...} | null,
 *          "items": [{"title", "link"}], "error": "..." | null}
 *
 * DIR holds rss-proxy's packages/core compiled to JavaScript (DIR/core/index.js)
 * and the npm packages jsdom and dompurify (DIR/node_modules).  Nothing of
 * rss-proxy lives in this repository: this script only calls what its core
 * exports (FeedParser), the way its own feed API does for a page with no
 * rule chosen: the page is cleaned with DOMPurify (scripts and styles
 * dropped), parsed with jsdom, FeedParser.getArticleRules() ranks the
 * candidate listings and the first one is applied with getArticlesByRule().
 * The options are the API's defaults (Atom output, raw content, no
 * JavaScript rendering); they do not change which items are found.
 */

const path = require('path');

const dir = path.resolve(process.argv[2] || '.');
const fromDir = (name) => require(require.resolve(name, {paths: [dir]}));
const {JSDOM} = fromDir('jsdom');
const createDOMPurify = fromDir('dompurify');
const {FeedParser} = require(path.join(dir, 'core', 'index.js'));

const DEFAULT_OPTIONS = {o: 'ATOM', c: 'RAW', js: false};
const silent = {log() {}, error() {}};

function readStdin() {
  return require('fs').readFileSync(0, 'utf8');
}

/* The document rss-proxy's API analyses: the page as DOMPurify leaves it
 * (whole document kept, <script> and <style> removed, <meta>, <link> and the
 * lang/content/name/type/href attributes allowed), parsed again by jsdom. */
function cleanDocument(html) {
  const purify = createDOMPurify(new JSDOM('').window);
  const clean = purify.sanitize(html, {
    WHOLE_DOCUMENT: true,
    FORBID_TAGS: ['style', 'script'],
    ADD_TAGS: ['meta', 'html', 'link'],
    ADD_ATTR: ['lang', 'content', 'name', 'type', 'href'],
  });
  return new JSDOM(clean).window.document;
}

function describe(rule) {
  return rule ? {id: rule.id, score: rule.score, count: rule.count} : null;
}

function detect(page) {
  const parser = new FeedParser(cleanDocument(page.html), page.url, DEFAULT_OPTIONS, silent);
  const rules = parser.getArticleRules();
  const result = {rules: rules.length, rule: describe(rules[0]), runner_up: describe(rules[1]), items: [], error: null};
  if (rules.length === 0) {
    result.error = 'No article-rules found';
    return result;
  }
  result.items = parser.getArticlesByRule(rules[0]).map((article) => ({title: article.title, link: article.link}));
  return result;
}

let output;
try {
  output = detect(JSON.parse(readStdin()));
} catch (err) {
  output = {rules: 0, rule: null, runner_up: null, items: [], error: String(err && err.message || err)};
}
process.stdout.write(JSON.stringify(output));
