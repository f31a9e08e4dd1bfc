// markdown.js: a message's content as DOM: light Markdown (bold, italic,
// code, links, lists, quotes) by Debian's marked (global `marked`, from
// /vendor/marked.min.js), sanitised by DOMPurify from npm (global
// `DOMPurify`, /vendor/purify.min.js) with a short list of allowed tags.
// Raw HTML in a message is shown as text; images are shown as their alt
// text; links open in a new tab without referrer. @mentions are wrapped in
// <span class="mention"> (plus "me" for the signed-in user). Without the two
// libraries the content is shown as plain text.

const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'a', 'ul', 'ol', 'li', 'blockquote'];
const ALLOWED_ATTR = ['href', 'title', 'start'];
const SAFE_URL = /^(?:https?:|mailto:)/i;
const MENTION = /(^|[^A-Za-z0-9_.:@-])@([A-Za-z0-9_.:@-]{1,64})/g;

let ready = null;

function setup() {
  if (ready !== null) return ready;
  const { marked, DOMPurify } = window;
  ready = Boolean(marked && marked.parse && DOMPurify && DOMPurify.isSupported && purifyWorks(DOMPurify));
  if (!ready) {
    console.warn('marked/DOMPurify missing: messages are shown as plain text');
    return ready;
  }
  const renderer = new marked.Renderer();
  renderer.html = (html) => escapeHtml(html);
  renderer.image = (href, title, text) => escapeHtml(text || '');
  marked.setOptions({ renderer, gfm: true, breaks: true, headerIds: false, mangle: false });
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
  return ready;
}

// A sanitiser that throws or mangles plain markup is not one to trust:
// then messages are shown as plain text.
function purifyWorks(DOMPurify) {
  try {
    return DOMPurify.sanitize('<b>x</b>') === '<b>x</b>';
  } catch {
    return false;
  }
}

// A DocumentFragment showing `text`; `me` is the signed-in user id.
export function renderContent(text, me) {
  let frag;
  if (setup()) {
    const html = window.marked.parse(String(text));
    frag = window.DOMPurify.sanitize(html, {
      ALLOWED_TAGS, ALLOWED_ATTR, ALLOWED_URI_REGEXP: SAFE_URL, RETURN_DOM_FRAGMENT: true,
    });
  } else {
    frag = document.createDocumentFragment();
    const p = document.createElement('p');
    p.className = 'plain';
    p.textContent = String(text);
    frag.append(p);
  }
  markMentions(frag, me);
  return frag;
}

// Plain one-line preview of a message for the conversation list.
export function preview(text, max = 90) {
  const one = String(text).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function mentions(text, userId) {
  for (const m of String(text).matchAll(MENTION)) if (trimId(m[2]) === userId) return true;
  return false;
}

function markMentions(root, me) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement && n.parentElement.closest('code, pre, a')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.data.includes('@')) nodes.push(n);
  for (const node of nodes) splitMentions(node, me);
}

function splitMentions(node, me) {
  const text = node.data;
  const out = [];
  let at = 0;
  for (const m of text.matchAll(MENTION)) {
    const id = trimId(m[2]);
    const start = m.index + m[1].length;
    out.push(document.createTextNode(text.slice(at, start)));
    const span = document.createElement('span');
    span.className = id === me ? 'mention me' : 'mention';
    span.textContent = `@${id}`;
    out.push(span);
    at = start + 1 + id.length;
  }
  if (!out.length) return;
  out.push(document.createTextNode(text.slice(at)));
  node.replaceWith(...out);
}

// "@bob." or "@bob:" at the end of a sentence names bob.
function trimId(id) {
  return id.replace(/[.:@-]+$/, '') || id;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
