// sx.js — the SX browser runtime: reader, evaluator, primitives and the
// renderers to an HTML string and to DOM. One dependency-free ES2020 file;
// it runs as a classic script (window.SX) and in any JS engine (globalThis.SX).
// The Go implementation in runtime/ and prims/core is the reference: this
// file renders byte-identical HTML (checked by client/parity_test.go).
(function (G) {
  'use strict';

  // The evaluator (reader, printer, special forms, renderers, primitives)
  // is made when SX first runs: a use of SX's API, a mount, an answer,
  // sx-ext.js. A server-rendered page's boot needs only the engine below,
  // and making the evaluator was a fifth of a first visit's boot. SX is a
  // proxy that makes it on first reading a name the engine does not define.
  const api = {};
  let made = false;
  const core = () => made || makeCore(made = true);
  const SX = new Proxy(api, {
    get: (t, k) => (k in t || core(), t[k]),
    has: (t, k) => (core(), k in t),
  });
  const truthy = (v) => v !== null && v !== undefined && v !== false;
  const child = (env) => Object.create(env);
  let lazyComps = null;

  function makeCore() {
    // ---- values ----
    // nil null · booleans · numbers · strings · Sym · Kw (quoted keyword) ·
    // arrays (lists) · Map (dicts, string keys, insertion order) · Html ·
    // SxDate · Lambda · Prim · Macro · Comp · Def.
    // k caches whether a symbol could head something other than a call
    // (headKind); ok whether a keyword is a valid attribute name.
    class Sym { constructor(name) { this.name = name; this.k = undefined; } }
    class Kw { constructor(name) { this.name = name; this.ok = this.ka = undefined; } }
    // KwArg marks a keyword written in a call (:name value).
    class KwArg { constructor(name) { this.name = name; } }
    class Html { constructor(s) { this.s = s; } }
    class SxDate { constructor(ms, ns, off) { this.ms = ms; this.ns = ns; this.off = off; } }
    class Lambda { constructor(name, params, body, env, doc) { this.name = name; this.params = params; this.body = body; this.env = env; this.doc = doc; } }
    class Prim { constructor(name, min, max, fn) { this.name = name; this.min = min; this.max = max; this.fn = fn; } }
    class Macro { constructor(name, fn) { this.name = name; this.fn = fn; } }
    class Comp { constructor(name, fn, src) { this.name = name; this.fn = fn; this.src = src; } }
    class Def { constructor(kind, name, fn) { this.kind = kind; this.name = name; this.fn = fn; } }

    // Dec is an exact decimal (3.20m, PostgreSQL numeric): a BigInt
    // coefficient and a scale (digits after the point), kept when printed.
    class Dec { constructor(c, s) { this.c = c; this.s = s; } }
    class SxError extends Error {
      constructor(msg, pos) { super(msg); this.msg = msg; this.pos = pos; this.trace = []; }
    }

    const symtab = new Map();
    function sym(name) {
      let s = symtab.get(name);
      if (!s) { s = new Sym(name); symtab.set(name, s); }
      return s;
    }

    function fail(msg, pos) { throw new SxError(msg, pos); }

    const isList = Array.isArray;
    const isDict = (v) => v instanceof Map;

    function typeOf(v) {
      if (v === null || v === undefined) return 'nil';
      const t = typeof v;
      if (t === 'boolean' || t === 'number' || t === 'string') return t;
      if (v instanceof Dec) return 'number';
      if (isList(v)) return 'list';
      if (v instanceof Map) return 'dict';
      if (v instanceof Sym) return 'symbol';
      if (v instanceof Kw || v instanceof KwArg) return 'keyword';
      if (v instanceof SxDate) return 'datetime';
      if (v instanceof Html) return 'html';
      if (v instanceof Lambda || v instanceof Prim) return 'lambda';
      if (v instanceof Macro) return 'macro';
      if (v instanceof Comp) return 'component';
      if (v instanceof Def) return 'definition';
      return 'unknown';
    }

    function equal(a, b, depth) {
      depth = depth || 0;
      if (depth > 10000) return false;
      if (a === undefined) a = null;
      if (b === undefined) b = null;
      if (a === b) return true;
      if (a instanceof Dec || b instanceof Dec) return isNum(a) && isNum(b) && numCmp('=', a, b) === 0;
      if (typeof a === 'number' || typeof b === 'number') return false; // NaN, mixed
      if (typeof a === 'string' && b instanceof Kw) return a === b.name;
      if (a instanceof Kw) return (typeof b === 'string' && a.name === b) || (b instanceof Kw && a.name === b.name);
      if (a instanceof Html) return b instanceof Html && a.s === b.s;
      if (a instanceof SxDate) return b instanceof SxDate && cmpDate(a, b) === 0;
      if (isList(a)) {
        if (!isList(b) || a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i], depth + 1)) return false;
        return true;
      }
      if (a instanceof Map) {
        if (!(b instanceof Map) || a.size !== b.size) return false;
        for (const [k, v] of a) {
          if (!b.has(k) || !equal(v, b.get(k), depth + 1)) return false;
        }
        return true;
      }
      return false;
    }

    // ---- numbers ----
    // One JS number holds both SX representations; an integral value is an int.
    const MAXI = 9223372036854775807;
    const isInt = (n) => Number.isInteger(n) && Math.abs(n) < MAXI;

    const isNum = (v) => typeof v === 'number' || v instanceof Dec;
    function decStr(d) {
      const neg = d.c < 0n;
      const digits = (neg ? -d.c : d.c).toString().padStart(d.s + 1, '0');
      const k = digits.length - d.s;
      return (neg ? '-' : '') + digits.slice(0, k) + (d.s ? '.' + digits.slice(k) : '');
    }
    // parseDec reads decimal text (an exponent allowed) as a Dec.
    function parseDec(t) {
      const m = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
      if (!m) return null;
      let c = BigInt(m[2] + (m[3] || '')), sc = (m[3] || '').length - Number(m[4] || 0);
      if (sc < 0) { c *= 10n ** BigInt(-sc); sc = 0; }
      return new Dec(m[1] === '-' ? -c : c, sc);
    }
    function toDec(name, v) {
      if (v instanceof Dec) return v;
      if (typeof v !== 'number') fail(name + ' expects numbers, got ' + typeOf(v));
      if (!Number.isFinite(v)) fail(name + ': ' + fmtNum(v) + ' cannot be combined with a decimal');
      return parseDec(Number.isInteger(v) ? BigInt(v).toString() : String(v));
    }
    const scaleUp = (d, s) => d.c * 10n ** BigInt(s - d.s);
    // decOp is + - * on two numbers of which one is a Dec: exact.
    function decOp(name, a, b) {
      const x = toDec(name, a), y = toDec(name, b);
      if (name === '*') return new Dec(x.c * y.c, x.s + y.s);
      const s = Math.max(x.s, y.s);
      return new Dec(name === '-' ? scaleUp(x, s) - scaleUp(y, s) : scaleUp(x, s) + scaleUp(y, s), s);
    }
    function numCmp(name, a, b) {
      if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
      if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
      if (a === Infinity || b === -Infinity) return a === b ? 0 : 1;
      if (a === -Infinity || b === Infinity) return a === b ? 0 : -1;
      const x = toDec(name, a), y = toDec(name, b), s = Math.max(x.s, y.s);
      const d = scaleUp(x, s) - scaleUp(y, s);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    }
    function fmtNum(n) {
      if (n instanceof Dec) return decStr(n);
      if (Number.isNaN(n)) return 'nan';
      if (n === Infinity) return 'inf';
      if (n === -Infinity) return '-inf';
      // Shortest form that reads back, plain for 1e-6 <= |n| < 1e21: JS's own
      // number text, which the Go runtime matches.
      return String(n);
    }

    // ---- reader ----
    // Tokens are matched with sticky regular expressions (V8 runs them
    // natively), not one code point at a time. The reader keeps offsets; a
    // Pos turns one into a line and a column (in code points) when shown.
    const DELIM = /[\s()[\]{}";'`,]/; // \s includes U+FEFF
    const SKIP = /(?:\s|;[^\n]*)*/y;
    const ATOM = /[^\s()[\]{}";'`,]*/y;
    const RUN = /[^"\\]*/y;
    // sticky matches re at r.i and returns the offset after the match.
    const sticky = (re, r) => { re.lastIndex = r.i; re.test(r.src); return re.lastIndex; };
    class Pos {
      constructor(r, i) { this.r = r; this.i = i; }
      get file() { return this.r.file; }
      get line() { return this.r.src.slice(0, this.i).split('\n').length; }
      get col() { return [...this.r.src.slice(this.r.src.lastIndexOf('\n', this.i - 1) + 1, this.i)].length + 1; }
    }
    const at = (r, i) => new Pos(r, i === undefined ? r.i : i);

    function read(src, file) {
      // A byte-order mark is not text.
      const r = { src: String(src).replace(/^\uFEFF/, ''), i: 0, file: file || '<input>', depth: 0 };
      const forms = [];
      while (skip(r) < r.src.length) forms.push(form(r));
      return forms;
    }
    // skip passes whitespace, comments and #; datum comments and returns the
    // offset of what follows.
    function skip(r) {
      while ((r.i = sticky(SKIP, r)), r.src.startsWith('#;', r.i)) {
        const p = at(r);
        r.i += 2;
        if (skip(r) >= r.src.length) fail('expected a form after #;', p);
        form(r);
      }
      return r.i;
    }
    function form(r) {
      if (++r.depth > 2000) fail('nesting too deep', at(r));
      try { return form1(r); } finally { r.depth--; }
    }
    const QUOTES = { "'": 'quote', '`': 'quasiquote', ',': 'unquote' };
    const CLOSE = { '(': ')', '[': ']', '{': '}' };
    function form1(r) {
      const start = r.i;
      const c = r.src[start];
      switch (c) {
        case '(': case '[': {
          const items = seq(r, start);
          items.pos = at(r, start);
          return items;
        }
        case '{': {
          const items = seq(r, start);
          if (items.length % 2) fail('dict literal needs an even number of forms', at(r, start));
          const d = new Map();
          for (let i = 0; i < items.length; i += 2) {
            const k = items[i];
            if (k instanceof Kw) d.set(k.name, items[i + 1]);
            else if (typeof k === 'string') d.set(k, items[i + 1]);
            else fail('dict key must be a keyword or string, got ' + typeOf(k), at(r, start));
          }
          return d;
        }
        case ')': case ']': case '}':
          fail('unexpected ' + c, at(r));
          break;
        case '"': return str(r, start);
        case "'": case '`': case ',': {
          r.i++;
          let name = QUOTES[c];
          if (c === ',' && r.src[r.i] === '@') { r.i++; name = 'splice-unquote'; }
          if (skip(r) >= r.src.length) fail('expected a form after ' + c, at(r, start));
          const p = r.src[r.i];
          if (p === ')' || p === ']' || p === '}') fail('expected a form after ' + c + ', got ' + p, at(r));
          const l = [sym(name), form(r)];
          l.pos = at(r, start);
          return l;
        }
        case '#':
          if (r.src.startsWith('#|', start)) {
            const end = r.src.indexOf('|', start + 2);
            if (end < 0) fail('unterminated raw string', at(r));
            r.i = end + 1;
            return r.src.slice(start + 2, end);
          }
          if (r.src.startsWith('#datetime', start)) {
            r.i += 9;
            if (r.src[skip(r)] !== '"') fail('#datetime expects a string', at(r, start));
            const s = str(r, r.i);
            return parseISO(s) || fail('invalid datetime: ' + s, at(r, start));
          }
      }
      return atom(r, start);
    }
    // seq reads the forms of a list or dict up to its closing bracket.
    function seq(r, start) {
      const close = CLOSE[r.src[r.i++]];
      const items = [];
      for (;;) {
        const c = r.src[skip(r)];
        if (c === undefined) fail('unterminated list', at(r, start));
        if (c === close) { r.i++; return items; }
        if (c === ')' || c === ']' || c === '}') fail('unexpected ' + c, at(r));
        items.push(form(r));
      }
    }
    const HEX4 = /^[0-9a-fA-F]{4}$/;
    function hex4(r, p) {
      const h = r.src.substr(r.i, 4);
      if (!HEX4.test(h)) fail('invalid \\u escape: expected 4 hex digits', p);
      r.i += 4;
      return parseInt(h, 16);
    }
    const ESC = { n: '\n', t: '\t', r: '\r', '0': '\0', '"': '"', '\\': '\\', '/': '/' };
    function str(r, start) {
      r.i++;
      let out = '';
      for (;;) {
        const b = r.i;
        r.i = sticky(RUN, r);
        out += r.src.slice(b, r.i);
        // A quote, a backslash or the end.
        const c = r.src[r.i++];
        if (c === '"') return out;
        if (r.i >= r.src.length) fail('unterminated string', at(r, start));
        const ep = at(r);
        const e = String.fromCodePoint(r.src.codePointAt(r.i));
        r.i += e.length;
        if (e in ESC) { out += ESC[e]; continue; }
        if (e !== 'u') fail('invalid escape \\' + e + ' in string', ep);
        let cp = hex4(r, ep);
        if (cp >= 0xD800 && cp < 0xDC00 && r.src.startsWith('\\u', r.i)) {
          const h = r.src.substr(r.i + 2, 4);
          const lo = HEX4.test(h) ? parseInt(h, 16) : -1;
          if (lo >= 0xDC00 && lo < 0xE000) { r.i += 6; cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); }
        }
        out += (cp >= 0xD800 && cp < 0xE000) ? '\uFFFD' : String.fromCodePoint(cp);
      }
    }
    const NUM = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;
    function atom(r, start) {
      const tok = r.src.slice(start, r.i = sticky(ATOM, r));
      const p = () => at(r, start);
      if (tok[0] === ':') {
        if (tok.length === 1) fail('keyword needs a name', p());
        return new Kw(tok.slice(1));
      }
      if (tok === 'true') return true;
      if (tok === 'false') return false;
      if (tok === 'nil') return null;
      if (/^[+-]?\d/.test(tok)) {
        if (tok.endsWith('m')) return (/^[+-]?\d+(\.\d+)?m$/.test(tok) && parseDec(tok.slice(0, -1))) || fail('invalid number ' + tok, p());
        if (!NUM.test(tok)) fail('invalid number ' + tok, p());
        const n = Number(tok);
        if (!/[.eE]/.test(tok)) {
          // Digits beyond int64 read as the float that prints as them.
          if (tok.length > 18 && (BigInt(tok) > 9223372036854775807n || BigInt(tok) < -9223372036854775808n) && fmtNum(n) !== tok.replace(/^\+/, '')) fail('integer literal out of range: ' + tok, p());
        } else if (!Number.isFinite(n)) fail('number out of range: ' + tok, p());
        return n;
      }
      if (tok === '#inf') return Infinity;
      if (tok === '#-inf') return -Infinity;
      if (tok === '#nan') return NaN;
      if (tok[0] === '#') fail('unknown reader syntax ' + tok, p());
      return sym(tok);
    }

    // ---- printer ----
    // quoteStr is JSON's string text, except that DEL and \b \f are
    // written as \u escapes (as the Go printer does).
    const quoteStr = (s) => JSON.stringify(s).replace(/\\.|\x7f/g, (m) => ({ '\\b': '\\u0008', '\\f': '\\u000c', '\x7f': '\\u007f' })[m] || m);
    const isKeywordName = (s) => s !== '' && !DELIM.test(s);
    const printKey = (k) => isKeywordName(k) ? ':' + k : quoteStr(k);
    function print(v, depth) {
      depth = depth || 0;
      if (depth > 10000) return '...';
      if (v === null || v === undefined) return 'nil';
      switch (typeof v) {
        case 'boolean': return String(v);
        case 'number': return Number.isFinite(v) ? fmtNum(v) : Number.isNaN(v) ? '#nan' : v > 0 ? '#inf' : '#-inf';
        case 'string': return quoteStr(v);
      }
      if (v instanceof Dec) return decStr(v) + 'm';
      if (v instanceof Sym) return v.name;
      if (v instanceof Kw || v instanceof KwArg) return ':' + v.name;
      if (isList(v)) return '(' + v.map((x) => print(x, depth + 1)).join(' ') + ')';
      if (v instanceof Map) {
        const parts = [];
        for (const [k, x] of v) parts.push(printKey(k) + ' ' + print(x, depth + 1));
        return '{' + parts.join(' ') + '}';
      }
      if (v instanceof SxDate) return '#datetime ' + quoteStr(dateString(v, true));
      if (v instanceof Html) return '(raw! ' + quoteStr(v.s) + ')';
      // <lambda name>, <macro name>, <component name>, <query name> …
      const t = v instanceof Def ? v.kind : typeOf(v);
      return t === 'unknown' ? '<unknown>' : '<' + t + ' ' + (v.name || 'lambda') + '>';
    }

    // toStr is what str gives a value.
    function toStr(v) {
      if (v === null || v === undefined) return '';
      switch (typeof v) {
        case 'string': return v;
        case 'boolean': return String(v);
        case 'number': return fmtNum(v);
      }
      if (v instanceof Kw || v instanceof Sym || v instanceof KwArg) return v.name;
      if (v instanceof Dec) return decStr(v);
      if (v instanceof Html) return v.s;
      if (v instanceof SxDate) return dateString(v, true);
      return print(v);
    }

    // ---- environments ----
    // An environment is a null-prototype object whose prototype chain is the
    // enclosing scopes; the root holds the globals.
    function lookup(env, name, pos) {
      const v = env[name];
      if (v === undefined && !(name in env)) fail('Undefined symbol: ' + name, pos);
      return v;
    }
    function owner(env, name) {
      for (let e = env; e; e = Object.getPrototypeOf(e)) if (Object.prototype.hasOwnProperty.call(e, name)) return e;
      return null;
    }

    // ---- evaluation ----
    const S = (n) => sym(n);
    const isSym = (v, n) => v instanceof Sym && v.name === n;
    const posOf = (l) => (l && l.pos) || null;

    let depth = 0;
    const deeper = (pos) => { if (++depth > 10000) { depth = 0; fail('maximum recursion depth exceeded', pos); } };

    function arityMsg(name, min, max, got) {
      const plural = (n, w) => n === 1 ? '1 ' + w : n + ' ' + w + 's';
      let want;
      if (max < 0) want = 'at least ' + plural(min, 'argument');
      else if (min === max) want = plural(min, 'argument');
      else if (max === min + 1) want = min + ' or ' + plural(max, 'argument');
      else want = min + ' to ' + plural(max, 'argument');
      return name + ' expects ' + want + ', got ' + got;
    }

    // TAIL is returned by ev in tail position: the caller's loop continues
    // with tailForm/tailEnv (constant JS stack for tail calls).
    function isCallable(v) {
      return v instanceof Lambda || v instanceof Prim || v instanceof Comp || v instanceof Macro || (v instanceof Def && !!v.fn);
    }
    function definesFunction(v) {
      return v instanceof Lambda || v instanceof Prim || v instanceof Comp || (v instanceof Def);
    }

    // headKind classifies a list form by its head: 'elem', 'special',
    // 'macro', 'comp' or 'call' (§12: tags before evaluation).
    // headVal is the value headKind found for a symbol head (undefined:
    // unbound, or not a symbol): a call uses it instead of a second lookup.
    let headVal;
    function headKind(l, env) {
      const h = l[0];
      headVal = undefined;
      if (!(h instanceof Sym)) return 'call';
      const name = h.name;
      // Fast path: most heads name a function.
      if (h.k === undefined) h.k = !!(TAGS[name] || SPECIAL[name] || name[0] === '~');
      const v = headVal = env[name];
      if (!h.k && !(v instanceof Macro)) return 'call';
      const tag = TAGS[name];
      // Only a binding that differs from the global one can be local (an
      // unbound tag, a component by its global name: no walk of the chain).
      const local = v !== undefined && v !== GLOBAL_ROOT[name] && isLocal(env, name);
      if (tag && (!TAG_FORMS[name] || (l.length > 1 && l[1] instanceof Kw))) {
        if (local) return isCallable(v) ? 'call' : 'elem';
        if (TAG_FORMS[name] || !definesFunction(v)) return 'elem';
      } else if (local) return 'call';
      if (SPECIAL[name]) return 'special';
      if (v instanceof Macro) return 'macro';
      if (name[0] === '~') return 'comp';
      return 'call';
    }
    function isLocal(env, name) {
      const o = owner(env, name);
      return o !== null && o !== GLOBAL_ROOT;
    }
    let GLOBAL_ROOT = null;

    function expand(m, l) {
      if (l.mx && l.mx.m === m) return l.mx.out;
      const out = callFn(m.fn, l.slice(1), posOf(l));
      if (isList(out) && !out.pos) out.pos = l.pos;
      Object.defineProperty(l, 'mx', { value: { m, out }, configurable: true, writable: true });
      return out;
    }

    function ev(x, env) {
      for (;;) {
        if (x instanceof Sym) {
          switch (x.name) {
            case 'true': return true;
            case 'false': return false;
            case 'nil': return null;
          }
          return lookup(env, x.name, null);
        }
        if (x instanceof Kw) return x.name;
        if (x instanceof Map) {
          const d = new Map();
          for (const [k, v] of x) d.set(k, ev(v, env));
          return d;
        }
        if (!isList(x)) return x === undefined ? null : x;
        if (x.length === 0) return [];
        const kind = headKind(x, env);
        if (kind === 'special') {
          const r = SPECIAL[x[0].name](x, env);
          if (r instanceof Tail) { x = r.form; env = r.env; continue; }
          return r;
        }
        if (kind === 'macro') { x = expand(env[x[0].name], x); continue; }
        if (kind === 'elem' || kind === 'comp') return new Html(renderToString1(x, env));
        // call
        const f = headVal !== undefined ? headVal : ev(x[0], env);
        if (f instanceof Macro) { x = expand(f, x); continue; }
        const args = evArgs(x, env, f);
        if (f instanceof Lambda) {
          const e = bind(f, args, posOf(x));
          // Tail call: run the body in this loop.
          const body = f.body;
          for (let i = 0; i < body.length - 1; i++) evNT(body[i], e);
          if (body.length === 0) return null;
          x = body[body.length - 1]; env = e;
          continue;
        }
        return apply(f, args, posOf(x));
      }
    }
    // evNT evaluates in a non-tail position: it counts depth.
    // After an error depth is reset by whoever catches it (try-call and the
    // public entry points), so the common path needs no finally.
    function evNT(x, env) {
      if (!isList(x)) return ev(x, env);
      deeper(posOf(x));
      const v = ev(x, env);
      depth--;
      return v;
    }
    class Tail { constructor(form, env) { this.form = form; this.env = env; } }

    // evArgs evaluates a call's arguments; a keyword becomes a KwArg, or its
    // name when f is a primitive (which takes keywords as strings).
    function evArgs(x, env, f) {
      const args = new Array(x.length - 1);
      for (let i = 1; i < x.length; i++) {
        const a = x[i];
        args[i - 1] = a instanceof Kw ? (f instanceof Prim ? a.name : new KwArg(a.name)) : evNT(a, env);
      }
      return args;
    }

    // evBody runs all but the last form of body from index from and returns
    // the last as a Tail; given an output sink it renders them instead.
    function evBody(body, env, from, out) {
      for (let i = from; i < body.length - 1; i++) out ? render(body[i], env, out) : evNT(body[i], env);
      return body.length > from ? new Tail(body[body.length - 1], env) : null;
    }

    function apply(f, args, pos) {
      if (f instanceof Prim) {
        for (let i = 0; i < args.length; i++) if (args[i] instanceof KwArg) args[i] = args[i].name;
        if (args.length < f.min || (f.max >= 0 && args.length > f.max)) fail(arityMsg(f.name, f.min, f.max, args.length), pos);
        // Two plain numbers: the arithmetic and comparison fast path.
        if (f.fast && args.length === 2 && typeof args[0] === 'number' && typeof args[1] === 'number') {
          const r = f.fast(args[0], args[1]);
          if (r !== undefined) return r;
        }
        try { return f.fn(...args); } catch (e) {
          if (e instanceof SxError) { if (!e.pos) e.pos = pos; throw e; }
          if (e instanceof RangeError) throw new SxError('maximum recursion depth exceeded', pos);
          throw e;
        }
      }
      if (f instanceof Lambda) return callFn(f, args, pos);
      if (f instanceof Comp) return new Html(renderCallString(f, args, pos));
      if (f instanceof Def && f.fn) return callFn(f.fn, args, pos);
      if (f instanceof Macro) fail('macro ' + f.name + ' used as a value', pos);
      fail('Not callable: ' + print(f), pos);
    }

    function callFn(f, args, pos) {
      const e = bind(f, args, pos);
      deeper(pos);
      const body = f.body;
      for (let i = 0; i < body.length - 1; i++) evNT(body[i], e);
      const v = body.length ? ev(body[body.length - 1], e) : null;
      depth--;
      return v;
    }

    // bind makes the environment of a call: parameters bound from args, where
    // KwArg markers introduce keyword arguments.
    function bind(f, args, pos) {
      const ps = f.params;
      const e = child(f.env);
      const name = f.name || 'lambda';
      if (ps.direct) {
        if (args.length !== ps.npos) fail(arityMsg(name, ps.npos, ps.npos, args.length), pos);
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          e[ps.list[i].name] = a instanceof KwArg ? a.name : a;
        }
        return e;
      }
      for (const p of ps.list) e[p.name] = null;
      let pi = 0;
      let rest = null;
      const pos_ = ps.list.filter((p) => !p.key && !p.rest);
      for (let i = 0; i < args.length; i++) {
        let a = args[i];
        if (a instanceof KwArg) {
          if (i + 1 >= args.length) fail(name + ': keyword :' + a.name + ' needs a value', pos);
          const p = ps.hasKey ? ps.list.find((q) => q.name === a.name && !q.rest) : null;
          if (p) {
            let v = args[i + 1];
            if (v instanceof KwArg) v = v.name;
            e[p.name] = v;
            i++;
            continue;
          }
          if (!ps.hasKey && !f.component) a = a.name; // two positional strings
          else { i++; continue; }
        }
        if (pi < pos_.length) { e[pos_[pi++].name] = a; continue; }
        if (ps.rest) { (rest = rest || []).push(a); continue; }
        if (f.component) continue;
        fail(arityMsg(name, ps.npos, ps.npos, countPositional(args)), pos);
      }
      if (pi < pos_.length && !pos_.slice(pi).every((p) => p.hasDefault)) {
        fail(arityMsg(name, ps.npos, ps.rest ? -1 : ps.npos, pi), pos);
      }
      if (ps.rest) e[ps.rest] = rest || [];
      for (const p of ps.list) {
        // docs/language.md: a keyword parameter given as nil takes its default.
        if (p.hasDefault && (e[p.name] === null || e[p.name] === undefined)) e[p.name] = evNT(p.dflt, e);
      }
      return e;
    }
    function countPositional(args) {
      let n = 0;
      for (let i = 0; i < args.length; i++) {
        if (args[i] instanceof KwArg && i + 1 < args.length) { i++; continue; }
        n++;
      }
      return n;
    }

    function parseParams(v, pos) {
      if (v === null) v = [];
      if (!isList(v)) fail('parameter list must be a list, got ' + typeOf(v), pos);
      const list = [];
      let key = false, rest = false, restName = null, hasKey = false, npos = 0, anyDefault = false;
      for (const it of v) {
        const p = {};
        if (it instanceof Sym) {
          if (it.name === '&key') { key = true; continue; }
          if (it.name === '&rest' || it.name === '&body') { rest = true; continue; }
          p.name = it.name;
        } else if (typeof it === 'string') p.name = it;
        else if (isList(it)) {
          if (!it.length) fail('empty parameter spec', pos);
          if (!(it[0] instanceof Sym)) fail('parameter name must be a symbol', pos);
          p.name = it[0].name;
          let spec = it.slice(1);
          if (spec.length >= 2 && spec[0] instanceof Kw && spec[0].name === 'as') spec = spec.slice(1);
          if (spec.length > 0 && !(spec[0] instanceof Kw || spec[0] instanceof Sym)) fail('parameter ' + p.name + ': type must be a keyword', pos);
          if (spec.length > 1) { p.hasDefault = true; p.dflt = spec[1]; anyDefault = true; }
          if (spec.length > 2) fail('parameter ' + p.name + ': too many parts in spec', pos);
        } else fail('invalid parameter ' + print(it), pos);
        if (list.some((q) => q.name === p.name)) fail('duplicate parameter ' + p.name, pos);
        if (rest) { p.rest = true; restName = p.name; list.push(p); rest = false; key = false; continue; }
        p.key = key;
        if (key) hasKey = true; else npos++;
        list.push(p);
      }
      if (rest) fail('&rest needs a name', pos);
      return { list, hasKey, npos, rest: restName, direct: !hasKey && !restName && !anyDefault };
    }

    function makeFn(name, paramForm, body, env, pos) {
      const params = parseParams(paramForm, pos);
      let doc = null;
      if (body.length > 1 && typeof body[0] === 'string') { doc = body[0]; body = body.slice(1); }
      const f = new Lambda(name, params, body, env, doc);
      f.pos = pos;
      return f;
    }

    function arity(l, min, max) {
      const n = l.length - 1;
      if (n >= min && (max < 0 || n <= max)) return;
      fail(arityMsg(l[0].name, min, max, n), posOf(l));
    }

    function isElse(v) {
      return (v instanceof Kw && v.name === 'else') || (v instanceof Sym && (v.name === 'else' || v.name === ':else'));
    }
    function schemeCond(cl) {
      if (!cl.length) return false;
      for (const c of cl) if (!isList(c) || !c.length) return false;
      if (cl.length % 2 === 1) return true;
      if (cl[0].length !== 2) return false;
      const h = cl[0][0];
      return !(h instanceof Sym && h.name.endsWith('?'));
    }
    // condClauses returns [[test, body[]], …].
    function condClauses(l) {
      const cl = l.slice(1);
      const out = [];
      if (schemeCond(cl)) { for (const c of cl) out.push([c[0], c.slice(1)]); return out; }
      if (cl.length % 2) fail('cond needs pairs of test and expression', posOf(l));
      for (let i = 0; i < cl.length; i += 2) out.push([cl[i], [cl[i + 1]]]);
      return out;
    }

    function letBindings(v, pos) {
      if (!isList(v)) fail('let bindings must be a list', pos);
      const out = [];
      if (v.length && isList(v[0])) {
        for (const b of v) {
          if (!isList(b) || b.length < 1 || b.length > 2) fail('let binding must be (name value)', pos);
          if (!(b[0] instanceof Sym)) fail('let binding name must be a symbol', pos);
          out.push([b[0].name, b.length === 2 ? b[1] : null]);
        }
        return out;
      }
      if (v.length % 2) fail('let bindings need pairs of name and value', pos);
      for (let i = 0; i < v.length; i += 2) {
        if (!(v[i] instanceof Sym)) fail('let binding name must be a symbol', pos);
        out.push([v[i].name, v[i + 1]]);
      }
      return out;
    }

    // Special forms: each takes the form and env and returns a value or a
    // Tail. The body forms (when, cond, do, let, letrec) also take the
    // renderer's output sink, and then render their body into it.
    const SPECIAL = Object.create(null);
    SPECIAL['if'] = (l, env) => {
      arity(l, 2, 3);
      if (truthy(evNT(l[1], env))) return new Tail(l[2], env);
      return l.length === 4 ? new Tail(l[3], env) : null;
    };
    SPECIAL['when'] = (l, env, out) => {
      arity(l, 1, -1);
      return truthy(evNT(l[1], env)) ? evBody(l, env, 2, out) : null;
    };
    SPECIAL['cond'] = (l, env, out) => {
      for (const [t, body] of condClauses(l)) {
        if (isElse(t)) return evBody(body, env, 0, out);
        const v = evNT(t, env);
        if (truthy(v)) return body.length ? evBody(body, env, 0, out) : out ? renderValue(v, out) : v;
      }
      return null;
    };
    SPECIAL['case'] = (l, env) => {
      arity(l, 1, -1);
      const cl = l.slice(2);
      if (cl.length % 2) fail('case needs pairs of value and expression', posOf(l));
      const v = evNT(l[1], env);
      for (let i = 0; i < cl.length; i += 2) {
        if (isElse(cl[i]) || equal(v, evNT(cl[i], env))) return new Tail(cl[i + 1], env);
      }
      return null;
    };
    SPECIAL['and'] = (l, env) => {
      if (l.length === 1) return true;
      for (let i = 1; i < l.length - 1; i++) { const v = evNT(l[i], env); if (!truthy(v)) return v; }
      return new Tail(l[l.length - 1], env);
    };
    SPECIAL['or'] = (l, env) => {
      if (l.length === 1) return null;
      for (let i = 1; i < l.length - 1; i++) { const v = evNT(l[i], env); if (truthy(v)) return v; }
      return new Tail(l[l.length - 1], env);
    };
    SPECIAL['do'] = SPECIAL['begin'] = (l, env, out) => evBody(l, env, 1, out);
    // letEnv binds a let's variables and returns [env, bodyStart]; a named
    // let returns the loop call as a Tail instead.
    function letEnv(l, env) {
      arity(l, 1, -1);
      const pos = posOf(l);
      if (l[1] instanceof Sym) {
        arity(l, 2, -1);
        const bs = letBindings(l[2], pos);
        const outer = child(env);
        const params = bs.map(([n]) => S(n));
        const f = makeFn(l[1].name, params, l.slice(3), outer, pos);
        outer[l[1].name] = f;
        const call = [f].concat(bs.map(([, v]) => [S('quote'), evNT(v, env)]));
        call.pos = pos;
        return new Tail(call, outer);
      }
      const e = child(env);
      for (const [n, v] of letBindings(l[1], pos)) e[n] = evNT(v, e);
      return e;
    }
    SPECIAL['let'] = SPECIAL['let*'] = (l, env, out) => {
      const e = letEnv(l, env);
      return e instanceof Tail ? e : evBody(l, e, 2, out);
    };
    SPECIAL['letrec'] = (l, env, out) => {
      arity(l, 1, -1);
      const bs = letBindings(l[1], posOf(l));
      const e = child(env);
      for (const [n] of bs) e[n] = null;
      for (const [n, v] of bs) e[n] = evNT(v, e);
      return evBody(l, e, 2, out);
    };
    SPECIAL['fn'] = SPECIAL['lambda'] = (l, env) => {
      arity(l, 1, -1);
      return makeFn('', l[1], l.slice(2), env, posOf(l));
    };
    SPECIAL['define'] = (l, env) => {
      arity(l, 1, -1);
      const pos = posOf(l);
      let name, valueForm = null, fn = null;
      const t = l[1];
      if (t instanceof Sym) {
        name = t.name;
        if (l.length > 3) fail('define expects 2 arguments, got ' + (l.length - 1), pos);
        if (l.length === 3) valueForm = l[2];
      } else if (isList(t)) {
        if (!t.length) fail('define needs a name', pos);
        if (!(t[0] instanceof Sym)) fail('define needs a symbol name', pos);
        name = t[0].name;
        fn = makeFn(name, t.slice(1), l.slice(2), env, pos);
      } else fail('define needs a symbol name, got ' + typeOf(t), pos);
      let v = fn || (valueForm === null ? null : evNT(valueForm, env));
      if (v instanceof Lambda && !v.name && isList(valueForm) && (isSym(valueForm[0], 'fn') || isSym(valueForm[0], 'lambda'))) v.name = name;
      env[name] = v;
      return null;
    };
    SPECIAL['set!'] = (l, env) => {
      arity(l, 2, 2);
      if (!(l[1] instanceof Sym)) fail('set! needs a symbol, got ' + typeOf(l[1]), posOf(l));
      const v = evNT(l[2], env);
      const o = owner(env, l[1].name);
      if (!o) fail('set! of undefined variable ' + l[1].name, posOf(l));
      o[l[1].name] = v;
      return v;
    };
    SPECIAL['quote'] = (l) => { arity(l, 1, 1); return l[1]; };
    SPECIAL['quasiquote'] = (l, env) => { arity(l, 1, 1); return quasi(l[1], env, 1, posOf(l)); };
    SPECIAL['unquote'] = SPECIAL['splice-unquote'] = (l) => fail(l[0].name + ' outside quasiquote', posOf(l));
    function quasi(v, env, d, pos) {
      if (isList(v)) {
        if (v.length === 2 && v[0] instanceof Sym) {
          if (v[0].name === 'unquote') return d === 1 ? evNT(v[1], env) : [v[0], quasi(v[1], env, d - 1, pos)];
          if (v[0].name === 'quasiquote') return [v[0], quasi(v[1], env, d + 1, pos)];
          if (v[0].name === 'splice-unquote') {
            if (d === 1) fail('splice-unquote outside a list', pos);
            return [v[0], quasi(v[1], env, d - 1, pos)];
          }
        }
        const out = [];
        for (const it of v) {
          if (d === 1 && isList(it) && it.length === 2 && isSym(it[0], 'splice-unquote')) {
            const s = evNT(it[1], env);
            if (isList(s)) out.push(...s);
            else if (s !== null) fail('splice-unquote expects a list, got ' + typeOf(s), pos);
            continue;
          }
          out.push(quasi(it, env, d, pos));
        }
        return out;
      }
      if (v instanceof Map) {
        const m = new Map();
        for (const [k, x] of v) m.set(k, quasi(x, env, d, pos));
        return m;
      }
      return v;
    }
    SPECIAL['->'] = (l, env) => {
      arity(l, 1, -1);
      let acc = l[1];
      for (const step of l.slice(2)) {
        let n;
        if (isList(step) && step.length) { n = [step[0], acc].concat(step.slice(1)); n.pos = step.pos; }
        else { n = [step, acc]; n.pos = l.pos; }
        acc = n;
      }
      return new Tail(acc, env);
    };
    SPECIAL['defmacro'] = (l, env) => {
      arity(l, 2, -1);
      if (!(l[1] instanceof Sym)) fail('defmacro needs a symbol name', posOf(l));
      GLOBAL_ROOT[l[1].name] = new Macro(l[1].name, makeFn(l[1].name, l[2], l.slice(3), GLOBAL_ROOT, posOf(l)));
      return null;
    };
    SPECIAL['defcomp'] = (l, env) => {
      arity(l, 2, -1);
      const name = l[1];
      if (!(name instanceof Sym) || name.name[0] !== '~') fail('defcomp needs a name starting with ~', posOf(l));
      const f = makeFn(name.name, l[2], l.slice(3), env, posOf(l));
      for (const p of f.params.list) if (!p.rest && !p.key) { p.key = true; f.params.hasKey = true; f.params.npos--; }
      f.params.direct = false;
      f.component = true;
      GLOBAL_ROOT[name.name] = new Comp(name.name, f, l);
      return null;
    };
    SPECIAL['defstyle'] = (l, env) => {
      arity(l, 2, 2);
      if (!(l[1] instanceof Sym)) fail('defstyle needs a symbol name', posOf(l));
      GLOBAL_ROOT[l[1].name] = evNT(l[2], env);
      return null;
    };
    // Platform definition forms are server matters; in the browser queries,
    // actions and handlers are bound so that a name clash is visible.
    const DEFS = 'defquery defaction defhandler defpage defroute defservice defactivity defjob'.split(' ');
    for (const k of DEFS) {
      SPECIAL[k] = (l) => {
        arity(l, 1, -1);
        if (!(l[1] instanceof Sym)) fail(k + ' needs a symbol name, got ' + typeOf(l[1]), posOf(l));
        if (k === 'defquery' || k === 'defaction' || k === 'defhandler') GLOBAL_ROOT[l[1].name] = new Def(k.slice(3), l[1].name, null);
        return null;
      };
    }
    SPECIAL['<>'] = SPECIAL['raw!'] = (l, env) => new Html(renderToString1(l, env));

    // ---- HTML rendering ----
    const VOID = new Set('area base br col embed hr img input link meta param source track wbr'.split(' '));
    const TAGS = Object.create(null);
    for (const t of ('html head body title meta link script style noscript base template slot ' +
      'header footer main nav section article aside address h1 h2 h3 h4 h5 h6 hgroup search ' +
      'div p span a em strong b i u s small mark code pre kbd samp var sub sup br hr wbr ' +
      'blockquote q cite abbr time data dfn bdi bdo ins del ruby rt rp ul ol li dl dt dd menu ' +
      'img picture source video audio track iframe embed object param canvas map area figure figcaption ' +
      'table thead tbody tfoot tr th td caption colgroup col ' +
      'form fieldset legend label input button select option optgroup textarea output datalist progress meter ' +
      'details summary dialog').split(' ')) TAGS[t] = 1;
    for (const t of ('svg g path circle ellipse rect line polyline polygon text tspan textPath defs use symbol ' +
      'clipPath mask pattern linearGradient radialGradient stop filter foreignObject image marker desc ' +
      'animate animateMotion animateTransform mpath set switch view metadata ' +
      'feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting ' +
      'feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR ' +
      'feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight ' +
      'feSpecularLighting feSpotLight feTile feTurbulence').split(' ')) TAGS[t] = 2;
    const TAG_FORMS = { map: 1, filter: 1 };
    const BOOL_ATTRS = new Set(('allowfullscreen async autofocus autoplay checked controls default ' +
      'defer disabled formnovalidate hidden inert ismap itemscope loop multiple muted nomodule novalidate ' +
      'open playsinline readonly required reversed selected').split(' '));

    const isAttrName = (s) => isKeywordName(s) && !/[\x00-\x1f\x7f<>"'\/=`]/.test(s);
    // URL attributes whose scheme could run code are neutralised (as the Go
    // renderer does); raw! marks a URL trusted.
    const URL_ATTRS = new Set(('action archive background cite classid codebase data formaction href icon longdesc ' +
      'manifest ping poster profile src usemap xlink:href xml:base srcset imagesrcset').split(' '));
    function safeURL(u) {
      u = u.replace(/^[\x00-\x20]+/, '');
      const colon = u.indexOf(':');
      if (colon < 0 || /[/?#]/.test(u.slice(0, colon))) return true;
      return /^(https?|mailto|tel)$/.test(u.slice(0, colon).replace(/[\t\n\r]/g, '').toLowerCase());
    }
    function safeURLAttr(name, v) {
      if (name !== 'srcset' && name !== 'imagesrcset') return safeURL(v) ? v : '#sx-unsafe-url';
      for (const entry of v.split(',')) {
        const f = entry.trim().split(/\s+/)[0];
        if (f && !safeURL(f)) return '#sx-unsafe-url';
      }
      return v;
    }
    const escText = (s) => /[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ESC_MAP[c]) : s;
    const escAttr = (s) => /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC_MAP[c]) : s;
    const ESC_MAP = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    const rfc3339 = (d) => dateString(d, false);

    function attrString(v) {
      if (typeof v === 'string') return v;
      if (isNum(v)) return fmtNum(v);
      if (v instanceof Html) return v.s;
      if (v instanceof Kw) return v.name;
      if (v instanceof SxDate) return rfc3339(v);
      if (isList(v)) {
        const parts = [];
        for (const it of v) {
          if (it === null || it === false || it === undefined) continue;
          parts.push(isList(it) ? print(it) : attrString(it));
        }
        return parts.join(' ');
      }
      return print(v);
    }

    // Output sinks: HtmlOut builds a string; the DOM sink (in the browser
    // part below) builds nodes. Both take text, raw markup and elements.
    class HtmlOut {
      constructor() { this.s = ''; }
      text(t) { this.s += escText(t); }
      raw(h) { this.s += h; }
      // attrs: name, value, name, value …; a value true is a bare name.
      open(tag, attrs) {
        let s = '<' + tag;
        for (let i = 0; i < attrs.length; i += 2) s += attrs[i + 1] === true ? ' ' + attrs[i] : ' ' + attrs[i] + '="' + escAttr(attrs[i + 1]) + '"';
        this.s += s + '>';
      }
      close(tag) { this.s += '</' + tag + '>'; }
    }

    function renderValue(v, out, d) {
      d = d || 0;
      if (d > 10000) fail('value nested too deeply to render');
      if (v === null || v === undefined || typeof v === 'boolean') return;
      if (typeof v === 'string') return out.text(v);
      if (isNum(v)) return out.text(fmtNum(v));
      if (v instanceof Html) return out.raw(v.s);
      if (v instanceof Kw || v instanceof Sym) return out.text(v.name);
      if (isList(v)) { for (const it of v) renderValue(it, out, d + 1); return; }
      if (v instanceof SxDate) return out.text(rfc3339(v));
      if (v instanceof Map) return out.text(print(v));
      fail('cannot render ' + typeOf(v));
    }

    // render renders form in env into out: elements, components, fragments
    // and render-aware special forms write markup; anything else is
    // evaluated and its value rendered. A lambda or component call in tail
    // position of a body continues this loop, so recursion through markup
    // runs in constant JS stack. An error names the innermost component.
    function render(x, env, out) {
      let comp = null;
      try {
        for (;;) {
          if (!isList(x) || x.length === 0) return renderValue(ev(x, env), out);
          const kind = headKind(x, env);
          const head = x[0];
          if (kind === 'elem') return renderElement(x, env, out);
          let f, args;
          if (kind === 'comp') {
            f = lookup(env, head.name, posOf(x));
            if (f instanceof Macro) { x = expand(f, x); continue; }
            args = compArgs(x, env);
          } else if (kind === 'macro') { x = expand(env[head.name], x); continue; }
          else if (kind === 'special') {
            const r = RENDER_SPECIAL[head.name];
            if (!r) return renderValue(ev(x, env), out);
            const t = r(x, env, out);
            if (t instanceof Tail) { x = t.form; env = t.env; continue; }
            return;
          } else {
            f = headVal !== undefined ? headVal : ev(head, env);
            if (f instanceof Macro) { x = expand(f, x); continue; }
            args = evArgs(x, env, f);
            if (f instanceof Prim && (f.name === 'map' || f.name === 'map-indexed' || f.name === 'for-each') && args.length === 2) {
              const coll = args[1];
              if (coll !== null && !isList(coll)) fail(f.name + ' expects a list, got ' + typeOf(coll), posOf(x));
              (coll || []).forEach((it, i) => renderCall(args[0], f.name === 'map-indexed' ? [i, it] : [it], out, posOf(x)));
              return;
            }
          }
          const fn = f instanceof Comp ? f.fn : f instanceof Lambda ? f : null;
          if (!fn) return renderValue(apply(f, args, posOf(x)), out);
          if (f instanceof Comp) comp = f.name;
          env = bind(fn, args, posOf(x));
          const body = fn.body;
          if (!body.length) return;
          for (let i = 0; i < body.length - 1; i++) render(body[i], env, out);
          x = body[body.length - 1];
        }
      } catch (e) {
        throw traced(e, comp);
      }
    }

    // traced adds the component an error happened in to its trace.
    function traced(e, comp) {
      if (comp && e instanceof SxError && e.trace.length < 50 && e.trace[e.trace.length - 1] !== comp) e.trace.push(comp);
      return e;
    }
    function renderCall(f, args, out, pos) {
      if (f instanceof Lambda || f instanceof Comp) {
        const fn = f instanceof Comp ? f.fn : f;
        const env = bind(fn, args, pos);
        deeper(pos);
        try { for (const b of fn.body) render(b, env, out); } catch (e) { throw traced(e, f instanceof Comp && f.name); } finally { depth--; }
        return;
      }
      renderValue(apply(f, args, pos), out);
    }
    // compArgs evaluates a ~component call's arguments into keyword form.
    function compArgs(x, env) {
      const args = [];
      for (let i = 1; i < x.length; i++) {
        const a = x[i];
        if (a instanceof Kw && i + 1 < x.length) { args.push(a.ka || (a.ka = new KwArg(a.name)), evNT(x[i + 1], env)); i++; continue; }
        args.push(evNT(a, env));
      }
      return args;
    }

    // renderElement evaluates the attributes (keyword and value pairs), then
    // renders the children (the other forms) between open and close.
    function renderElement(x, env, out) {
      const tag = x[0].name;
      const attrs = [];
      for (let i = 1; i < x.length - 1; i++) {
        const a = x[i];
        if (!(a instanceof Kw)) continue;
        const n = a.name;
        if (!(a.ok = a.ok || isAttrName(n))) fail('invalid attribute name ' + quoteStr(n), posOf(x));
        const v = evNT(x[++i], env);
        if (v === null || v === undefined || v === false) continue;
        if (v === true || BOOL_ATTRS.has(n)) { attrs.push(n, true); continue; }
        if (isCallable(v) || v instanceof Def) fail('cannot render ' + typeOf(v) + ' as an attribute value', posOf(x));
        let text = attrString(v);
        if (URL_ATTRS.has(n) && !(v instanceof Html)) text = safeURLAttr(n, text);
        attrs.push(n, text);
      }
      out.open(tag, attrs);
      if (VOID.has(tag)) {
        // Children that render nothing (nil, a false when) are fine.
        const tmp = new HtmlOut();
        renderKids(x, env, tmp);
        if (tmp.s) fail('void element ' + tag + ' cannot have children', posOf(x));
        if (out.closeVoid) out.closeVoid(tag);
        return;
      }
      renderKids(x, env, out);
      out.close(tag);
    }
    function renderKids(x, env, out) {
      for (let i = 1; i < x.length; i++) x[i] instanceof Kw && i + 1 < x.length ? i++ : render(x[i], env, out);
    }

    const RENDER_SPECIAL = Object.create(null);
    for (const k of 'if case -> when cond do begin let let* letrec'.split(' ')) RENDER_SPECIAL[k] = SPECIAL[k];
    RENDER_SPECIAL['<>'] = (x, env, out) => { for (let i = 1; i < x.length; i++) render(x[i], env, out); };
    RENDER_SPECIAL['raw!'] = (x, env, out) => {
      for (let i = 1; i < x.length; i++) {
        const v = evNT(x[i], env);
        if (v === null || v === undefined) continue;
        out.raw(typeof v === 'string' ? v : v instanceof Html ? v.s : attrString(v));
      }
    };
    for (const k of ['define', 'defcomp', 'defmacro', 'defstyle', ...DEFS]) {
      RENDER_SPECIAL[k] = (x, env) => { SPECIAL[k](x, env); };
    }

    function renderToString1(x, env) {
      const out = new HtmlOut();
      render(x, env, out);
      return out.s;
    }
    function renderCallString(f, args, pos) {
      const out = new HtmlOut();
      renderCall(f, args, out, pos);
      return out.s;
    }

    // ---- primitives ----
    const P = Object.create(null);
    function def(name, min, max, fn) { P[name] = new Prim(name, min, max, fn); }
    const want = {
      num(name, v) { if (!isNum(v)) fail(name + ' expects numbers, got ' + typeOf(v)); return v; },
      int(name, v) {
        if (v instanceof Dec && v.c % 10n ** BigInt(v.s) === 0n) return Number(v.c / 10n ** BigInt(v.s));
        if (typeof v !== 'number') fail(name + ' expects an integer, got ' + typeOf(v));
        if (!Number.isInteger(v)) fail(name + ' expects an integer, got ' + fmtNum(v));
        return v;
      },
      str(name, v) { if (typeof v === 'string') return v; if (v instanceof Kw) return v.name; fail(name + ' expects a string, got ' + typeOf(v)); },
      items(name, v) { if (isList(v)) return v; if (v === null || v === undefined) return []; fail(name + ' expects a list, got ' + typeOf(v)); },
      dict(name, v) { if (v instanceof Map || v === null || v === undefined) return v || null; fail(name + ' expects a dict, got ' + typeOf(v)); },
      key(name, v) { const k = dictKey(v); if (k === null) fail(name + ' expects a string key, got ' + typeOf(v)); return k; },
    };
    const dictKey = (v) => typeof v === 'string' ? v : v instanceof Kw ? v.name : null;
    const chk = (name, n) => { if (!Number.isFinite(n) || Math.abs(n) > MAXI) fail('integer overflow in ' + name); return n; };
    // arith is a two-operand + - *: exact when a decimal takes part.
    function arith(name, a, b) {
      want.num(name, a); want.num(name, b);
      if (a instanceof Dec || b instanceof Dec) return decOp(name, a, b);
      const r = name === '+' ? a + b : name === '-' ? a - b : a * b;
      if (isInt(a) && isInt(b) && Math.abs(r) >= MAXI) fail('integer overflow in ' + name);
      return r;
    }
    def('+', 0, -1, (...a) => a.reduce((x, y) => arith('+', x, y), 0));
    def('-', 1, -1, (...a) => a.length === 1 ? arith('-', 0, a[0]) : a.slice(1).reduce((x, y) => arith('-', x, y), a[0]));
    def('*', 0, -1, (...a) => a.reduce((x, y) => arith('*', x, y), 1));
    def('/', 2, 2, (a, b) => {
      want.num('/', a); want.num('/', b);
      if (a instanceof Dec || b instanceof Dec) fail('/: division of decimals is done on the server (decimal-div)');
      if (b === 0) fail('division by zero');
      return a / b;
    });
    def('=', 1, -1, (...a) => a.every((x) => equal(a[0], x)));
    const fastInt = (r) => Math.abs(r) < 9007199254740992 ? r : undefined;
    P['+'].fast = (a, b) => fastInt(a + b);
    P['-'].fast = (a, b) => fastInt(a - b);
    P['*'].fast = (a, b) => fastInt(a * b);
    P['='].fast = (a, b) => a === b;
    function compare(name, a, b) {
      if (isNum(a) && isNum(b)) return numCmp(name, a, b);
      if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
      if (a instanceof SxDate && b instanceof SxDate) return cmpDate(a, b);
      if (!isNum(a) && typeof a !== 'string') fail(name + ' expects numbers, got ' + typeOf(a));
      fail(name + ' cannot compare ' + typeOf(a) + ' with ' + typeOf(b));
    }
    const cmpDef = (name, ok) => def(name, 1, -1, (...a) => {
      let r = true;
      for (let i = 1; i < a.length; i++) if (!ok(compare(name, a[i - 1], a[i])) || Number.isNaN(a[i - 1]) || Number.isNaN(a[i])) r = false;
      if (a.length === 1) compare(name, a[0], a[0]);
      return r;
    });
    cmpDef('<', (c) => c < 0); cmpDef('>', (c) => c > 0); cmpDef('<=', (c) => c <= 0); cmpDef('>=', (c) => c >= 0);
    P['<'].fast = (a, b) => a < b; P['>'].fast = (a, b) => a > b;
    P['<='].fast = (a, b) => a <= b; P['>='].fast = (a, b) => a >= b;
    def('!=', 2, 2, (a, b) => !equal(a, b));
    def('not', 1, 1, (x) => !truthy(x));
    def('apply', 1, -1, (f, ...a) => {
      if (!a.length) return apply(f, [], null);
      const last = a[a.length - 1];
      if (!isList(last) && last !== null) fail('apply expects a list as its last argument, got ' + typeOf(last));
      return apply(f, a.slice(0, -1).concat(last || []), null);
    });
    def('error', 1, 1, (m) => { const e = new SxError(typeof m === 'string' ? m : print(m)); e.value = m; throw e; });
    def('try-call', 1, 1, (f) => {
      const saved = depth;
      try { return new Map([['ok', true], ['value', apply(f, [], null)]]); } catch (e) {
        depth = saved;
        if (e instanceof RangeError) return new Map([['ok', false], ['error', 'maximum recursion depth exceeded']]);
        if (!(e instanceof SxError)) throw e;
        return new Map([['ok', false], ['error', e.msg]]);
      }
    });

    // numbers
    def('inc', 1, 1, (n) => arith('+', want.num('inc', n), 1));
    def('dec', 1, 1, (n) => arith('-', want.num('dec', n), 1));
    const toInt = (name, f) => { if (!Number.isFinite(f) || Math.abs(f) > MAXI) fail(name + ': ' + fmtNum(f) + ' has no integer value'); return f === 0 ? 0 : f; };
    def('parse-int', 1, 2, (s, d) => {
      if (s instanceof Dec) return Number(s.c / 10n ** BigInt(s.s));
      if (typeof s === 'number') return Number.isFinite(s) ? Math.trunc(s) : (d === undefined ? null : d);
      if (typeof s === 'string' && /^[+-]?\d+$/.test(s.trim()) && Math.abs(Number(s)) < MAXI) return Number(s.trim());
      return d === undefined ? null : d;
    });

    // predicates
    const pred = (name, f) => def(name, 1, 1, (x) => f(x === undefined ? null : x));
    pred('nil?', (x) => x === null);
    pred('number?', isNum);
    pred('int?', (x) => typeof x === 'number' && isInt(x));
    pred('string?', (x) => typeof x === 'string');
    pred('list?', isList);
    pred('dict?', isDict);
    pred('blank?', (x) => x === null || (typeof x === 'string' && x.trim() === ''));
    pred('empty?', (x) => x === null || x === '' || (isList(x) && !x.length) || (x instanceof Map && !x.size));
    def('contains?', 2, 2, (c, x) => {
      if (c === null) return false;
      if (isList(c)) return c.some((it) => equal(it, x));
      if (typeof c === 'string') return c.includes(want.str('contains?', x));
      if (c instanceof Map) { const k = dictKey(x); return k !== null && c.has(k); }
      fail('contains? expects a list, string or dict, got ' + typeOf(c));
    });
    def('starts-with?', 2, 2, (s, p) => want.str('starts-with?', s).startsWith(want.str('starts-with?', p)));
    // strings
    const chars = (s) => Array.from(s);
    def('str', 0, -1, (...a) => { let s = ''; for (const x of a) s += toStr(x); return s; });
    const strFn = (name, f) => def(name, 1, 1, (s) => f(want.str(name, s)));
    strFn('upper', (s) => s.toUpperCase()); strFn('upcase', (s) => s.toUpperCase());
    strFn('lower', (s) => s.toLowerCase()); strFn('downcase', (s) => s.toLowerCase());
    strFn('trim', (s) => s.trim());
    def('split', 1, 2, (s, sep) => {
      s = want.str('split', s);
      if (sep === undefined || sep === null) return s.trim() === '' ? [] : s.trim().split(/\s+/);
      sep = want.str('split', sep);
      return sep === '' ? chars(s) : s.split(sep);
    });
    def('join', 2, 2, (sep, l) => {
      if (typeof sep !== 'string') fail('join expects a string separator, got ' + typeOf(sep));
      return want.items('join', l).map(toStr).join(sep);
    });
    def('replace', 3, 3, (s, a, b) => {
      s = want.str('replace', s); a = want.str('replace', a); b = want.str('replace', b);
      return a === '' ? b + chars(s).join(b) + (s ? b : '') : s.split(a).join(b);
    });
    function bounds(i, j, n) {
      if (i < 0) i = Math.max(0, i + n);
      if (j < 0) j = Math.max(0, j + n);
      i = Math.min(i, n); j = Math.min(j, n);
      return [i, Math.max(i, j)];
    }
    function sliceOf(name, c, i, j) {
      const n = c.length;
      const [a, b] = bounds(want.int(name, i), j === undefined || j === null ? n : want.int(name, j), n);
      return c.slice(a, b);
    }
    def('substring', 2, 3, (s, i, j) => sliceOf('substring', chars(want.str('substring', s)), i, j).join(''));
    def('string-length', 1, 1, (s) => chars(want.str('string-length', s)).length);
    def('pluralize', 1, 3, (n, one, many) => {
      const single = equal(want.num('pluralize', n), 1);
      if (one === undefined) return single ? '' : 's';
      one = want.str('pluralize', one);
      if (single) return one;
      return many === undefined ? one + 's' : want.str('pluralize', many);
    });
    def('escape', 1, 1, (x) => escAttr(toStr(x)));
    // lists
    def('list', 0, -1, (...a) => a);
    def('first', 1, 1, (l) => { l = want.items('first', l); return l.length ? l[0] : null; });
    def('last', 1, 1, (l) => { l = want.items('last', l); return l.length ? l[l.length - 1] : null; });
    def('rest', 1, 1, (l) => want.items('rest', l).slice(1));
    def('nth', 2, 2, (l, i) => {
      l = want.items('nth', l); i = want.int('nth', i);
      if (i < 0 || i >= l.length) fail('nth: index ' + i + ' out of range for list of length ' + l.length);
      return l[i];
    });
    def('append', 2, 2, (l, x) => { l = want.items('append', l); return isList(x) ? l.concat(x) : l.concat([x]); });
    def('concat', 0, -1, (...a) => [].concat(...a.map((x) => want.items('concat', x))));
    def('len', 1, 1, (c) => {
      if (isList(c)) return c.length;
      if (typeof c === 'string') return chars(c).length;
      if (c instanceof Map) return c.size;
      if (c === null) return 0;
      fail('len expects a list, string or dict, got ' + typeOf(c));
    });
    // dicts
    def('dict', 0, -1, (...a) => {
      if (a.length % 2) fail('dict expects an even number of arguments, got ' + a.length);
      const d = new Map();
      for (let i = 0; i < a.length; i += 2) d.set(want.key('dict', a[i]), a[i + 1]);
      return d;
    });
    // lookupIn is c's value at k, or d (nil if not given) when it has none:
    // no array or wrapper per lookup, get is called for every field shown.
    function lookupIn(name, c, k, d) {
      if (c instanceof Map) { const v = c.get(dictKey(k)); if (v !== undefined) return v; }
      else if (isList(c)) { if (Number.isInteger(k) && k >= 0 && k < c.length) return c[k]; }
      else if (typeof c === 'string') { const cs = chars(c); if (Number.isInteger(k) && k >= 0 && k < cs.length) return cs[k]; }
      else if (c !== null && c !== undefined) fail(name + ' expects a dict or list, got ' + typeOf(c));
      return dflt(d);
    }
    const dflt = (d) => d === undefined ? null : d;
    def('get', 2, 3, (c, k, d) => lookupIn('get', c, k, d));
    def('keys', 1, 1, (d) => { d = want.dict('keys', d); return d ? [...d.keys()] : []; });
    def('merge', 0, -1, (...a) => { const out = new Map(); for (const d of a) { const x = want.dict('merge', d); if (x) for (const [k, v] of x) out.set(k, v); } return out; });
    def('assoc', 3, -1, (d, ...kv) => {
      const out = new Map(want.dict('assoc', d) || []);
      if (kv.length % 2) fail('assoc expects key value pairs, got ' + kv.length + ' arguments after the dict');
      for (let i = 0; i < kv.length; i += 2) out.set(want.key('assoc', kv[i]), kv[i + 1]);
      return out;
    });
    const mutDict = (name, d) => { if (!(d instanceof Map)) fail(name + ' expects a dict, got ' + typeOf(d)); return d; };
    def('dict-set!', 3, 3, (d, k, v) => { mutDict('dict-set!', d).set(want.key('dict-set!', k), v); return null; });

    // higher-order
    const call1 = (f, x) => apply(f, [x], null);
    const multi = (name, f, colls) => {
      const ls = colls.map((c) => want.items(name, c));
      const n = Math.min(...ls.map((l) => l.length));
      const out = [];
      for (let i = 0; i < n; i++) out.push(apply(f, ls.map((l) => l[i]), null));
      return out;
    };
    def('map', 2, -1, (f, c, ...more) => more.length ? multi('map', f, [c].concat(more)) : want.items('map', c).map((x) => call1(f, x)));
    def('filter', 2, 2, (f, c) => want.items('filter', c).filter((x) => truthy(call1(f, x))));
    def('reduce', 2, 3, (f, init, c) => {
      let items;
      if (c === undefined) { items = want.items('reduce', init); if (!items.length) return null; init = items[0]; items = items.slice(1); }
      else items = want.items('reduce', c);
      let acc = init;
      for (const x of items) acc = apply(f, [acc, x], null);
      return acc;
    });
    def('for-each', 2, -1, (f, c, ...more) => { if (more.length) multi('for-each', f, [c].concat(more)); else for (const x of want.items('for-each', c)) call1(f, x); return null; });
    // misc
    const output = []; // what print and println (sx-ext.js) wrote

    // datetimes: ms since the epoch (UTC), the nanoseconds within the
    // second, and the zone offset in minutes, as Go's time.Time keeps them.
    const pad = (n, w, c) => String(n).padStart(w, c === undefined ? '0' : c);
    function parseISO(str) {
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/.exec(str);
      if (!m) return null;
      const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] || 0));
      const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || se > 59) return null;
      let off = 0;
      if (m[9]) {
        const oh = Number(m[10]), om = Number(m[11] || 0);
        if (oh > 23 || om > 59) return null;
        off = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
      }
      const ns = m[7] ? Number((m[7] + '00000000').slice(0, 9)) : 0;
      const t = new Date(0);
      t.setUTCFullYear(y, mo - 1, d);
      t.setUTCHours(h, mi, se, 0);
      return new SxDate(t.getTime() - off * 60000, ns, off);
    }
    const zone = (d, colon) => d.off === 0 ? 'Z' : (d.off < 0 ? '-' : '+') + pad(Math.floor(Math.abs(d.off) / 60), 2) + (colon ? ':' : '') + pad(Math.abs(d.off) % 60, 2);
    function dateString(d, nano) {
      // The wall clock in d's zone: toISOString's fields, the year padded
      // to four digits (as Go prints it).
      const t = new Date(d.ms + d.off * 60000);
      let s = pad(t.getUTCFullYear(), 4) + t.toISOString().slice(-20, -5);
      if (nano && d.ns) s += '.' + pad(d.ns, 9).replace(/0+$/, '');
      return s + zone(d, true);
    }
    const cmpDate = (a, b) => Math.sign(a.ms - b.ms) || Math.sign(a.ns - b.ns);

    // ---- environment and the public API ----
    function newEnv() {
      const g = Object.create(null);
      for (const k in P) g[k] = P[k];
      return g;
    }
    GLOBAL_ROOT = newEnv();

    function withEnv(env, f) {
      // The page's component bundle is evaluated when SX first runs, not at
      // boot: a server-rendered page may never need it (SX.loadComponents).
      if (lazyComps) { const s = lazyComps; lazyComps = null; try { SX.evaluate(s, SX.env, 'components'); } catch (e) { G.console.error('sx: components:', SX.formatError(e)); } }
      const saved = GLOBAL_ROOT;
      GLOBAL_ROOT = env;
      depth = 0;
      try { return f(); } catch (e) {
        if (e instanceof RangeError) throw new SxError('maximum recursion depth exceeded');
        throw e;
      } finally { GLOBAL_ROOT = saved; }
    }
    function evalForms(forms, env) {
      let v = null;
      for (const f of forms) v = evNT(f, env);
      return v;
    }
    // renderSrc renders source text (every form but the last evaluated, the
    // last rendered) or one form into out.
    function renderSrc(src, env, file, out) {
      env = env || SX.env;
      withEnv(env, () => {
        const forms = typeof src === 'string' ? read(src, file) : [src];
        if (forms.length) { evalForms(forms.slice(0, -1), env); render(forms[forms.length - 1], env, out); }
      });
    }

    Object.assign(api, {
      Sym, Kw, Html, SxDate, Lambda, Prim, Macro, Comp, SxError,
      sym, read, print, toStr, typeOf, equal,
      env: GLOBAL_ROOT,
      newEnv,
      output,
      primitives: () => Object.keys(P),
      // evaluate reads src and evaluates every form in env (the page's global
      // environment by default); it returns the last value.
      evaluate(src, env, file) {
        env = env || SX.env;
        return withEnv(env, () => evalForms(typeof src === 'string' ? read(src, file) : src, env));
      },
      // renderToString renders one form (or source text: every form but the
      // last is evaluated, the last rendered) to HTML.
      renderToString(src, env, file) {
        const out = new HtmlOut();
        renderSrc(src, env, file, out);
        return out.s;
      },
      formatError(e) {
        if (!(e instanceof SxError)) return String(e && e.message || e);
        const p = e.pos ? (e.pos.file || '<input>') + ':' + e.pos.line + ':' + e.pos.col + ': ' : '';
        return p + e.msg + (e.trace.length ? ' (in ' + e.trace.join(' < ') + ')' : '');
      },
    });
    // The internals sx-ext.js builds on; its def binds the page's root too.
    SX._ = {
      def(n, a, b, f) { def(n, a, b, f); if (!(n in SX.env)) SX.env[n] = P[n]; },
      get root() { return GLOBAL_ROOT; }, evNT, callFn, posOf, renderToString1,
      want, fail, truthy, apply, arith, compare, lookupIn, sliceOf, isKeywordName, quoteStr, fmtNum, numCmp, isNum, toDec, decOp, decStr, parseDec, dateString, parseISO, zone, pad, toInt, mutDict, Dec,
    };
    // ---- DOM ----
    const SVG_NS = 'http://www.w3.org/2000/svg';
    // DomOut is the renderer's sink that builds DOM nodes under root.
    // p is the element being filled, ns whether its children are SVG, e
    // whether it is still empty; the stack holds the outer ones' p and ns.
    class DomOut {
      constructor(doc, root) { this.doc = doc; this.p = root; this.ns = this.e = false; this.stack = []; }
      add(n) { this.p.appendChild(n); this.e = false; }
      // A new element's first text is set as its textContent: one DOM call
      // instead of two (an empty text still makes a node).
      text(t) { if (this.e && t) { this.p.textContent = t; this.e = false; } else this.add(this.doc.createTextNode(t)); }
      raw(h) {
        const t = this.doc.createElement('template');
        t.innerHTML = h;
        this.add(t.content);
      }
      open(tag, attrs) {
        const svg = tag === 'svg' || this.ns;
        const el = svg ? this.doc.createElementNS(SVG_NS, tag) : this.doc.createElement(tag);
        for (let i = 0; i < attrs.length; i += 2) el.setAttribute(attrs[i], attrs[i + 1] === true ? '' : attrs[i + 1]);
        this.add(el);
        this.stack.push(this.p, this.ns);
        this.p = el;
        this.ns = svg && tag !== 'foreignObject';
        this.e = true;
      }
      close() { this.ns = this.stack.pop(); this.p = this.stack.pop(); this.e = false; }
      closeVoid() { this.close(); }
    }
    // renderToDOM renders source text (every form but the last evaluated) or
    // one form into a new DocumentFragment.
    SX.renderToDOM = function (src, env, file, doc) {
      doc = doc || G.document;
      const frag = doc.createDocumentFragment();
      renderSrc(src, env, file, new DomOut(doc, frag));
      return frag;
    };
    // errorBox is what a region shows when rendering it failed: the error
    // and the component it happened in, never a blank region.
    SX.errorBox = function (e, doc) {
      doc = doc || G.document;
      const box = doc.createElement('div');
      box.className = 'sx-render-error';
      box.setAttribute('role', 'alert');
      box.setAttribute('style', 'border:2px solid #b00;background:#fee;color:#900;padding:8px;font:13px/1.4 monospace;white-space:pre-wrap');
      const where = e instanceof SxError && e.trace.length ? 'Error rendering ' + e.trace[0] + ': ' : 'Error rendering: ';
      box.textContent = where + SX.formatError(e);
      return box;
    };

  }

  // ---- the sx-* engine ----
  // Elements with sx-get/post/put/patch/delete send a request when their
  // trigger fires and swap the answer (text/sx rendered curUrl, or HTML) into
  // their target. htmx 4 is the reference where docs/client.md is silent.
  const VERBS = ['get', 'post', 'put', 'patch', 'delete'];
  const VERB_SEL = VERBS.map((v) => '[sx-' + v + ']').join(',');
  const D = G.document;
  const attr = (el, n) => el.getAttribute ? el.getAttribute(n) : null;
  const all = (root, sel) => Array.from(root.querySelectorAll(sel));
  const byId = (id) => D.getElementById(id);
  // The page's CSP nonce, for sx-ext.js, read when needed: reading
  // document.currentScript's at load costs a cold boot about 0.6 ms.
  const nonce = () => (D.querySelector('script[nonce]') || {}).nonce || '';
  function emit(el, name, detail, cancelable) {
    return el.dispatchEvent(new G.CustomEvent(name, { bubbles: true, cancelable: !!cancelable, detail: detail || {} }));
  }
  // resolve finds the elements an attribute names: this, closest S,
  // find S, or a CSS selector over the document.
  function resolve(el, spec) {
    if (!spec || spec === 'this') return [el];
    if (spec.startsWith('closest ')) return [el.closest(spec.slice(8))].filter(Boolean);
    if (spec.startsWith('find ')) return [el.querySelector(spec.slice(5))].filter(Boolean);
    return all(D, spec);
  }
  function boosted(el) {
    const b = el.closest && el.closest('[sx-boost]');
    return b && attr(b, 'sx-boost') !== 'false' ? b : null;
  }
  function verbOf(el) {
    for (const v of VERBS) if (el.hasAttribute('sx-' + v)) return [v, attr(el, 'sx-' + v)];
    if (!boosted(el)) return null;
    if (el.tagName === 'A') return new URL(el.href, G.location.href).origin === G.location.origin && !attr(el, 'href').startsWith('#') ? ['get', attr(el, 'href')] : null;
    if (el.tagName === 'FORM') return [(attr(el, 'method') || 'get').toLowerCase(), attr(el, 'action') || G.location.href];
    return null;
  }
  // Swapping: parse the answer into nodes, pick sx-select, apply oob parts.
  function toNodes(text, isSX) {
    if (isSX) return SX.renderToDOM(text, SX.env, 'response');
    const t = D.createElement('template');
    t.innerHTML = text;
    return t.content;
  }
  // morph makes the children of old look like those of nu while keeping
  // the nodes that match (same id, else same tag in order): focus,
  // selection, scroll and what the user typed stay.
  function morphKids(old, nu) {
    const ids = new Map();
    for (const c of old.children) if (c.id) ids.set(c.id, c);
    let cur = old.firstChild;
    for (const n of Array.from(nu.childNodes)) {
      let m = n.id ? ids.get(n.id) : null;
      for (let c = cur; !m && c && !n.id; c = c.nextSibling) if (c.nodeType === n.nodeType && c.nodeName === n.nodeName && !c.id) m = c;
      if (!m) { old.insertBefore(n, cur); continue; }
      if (m === cur) cur = cur.nextSibling; else old.insertBefore(m, cur);
      morphNode(m, n);
    }
    while (cur) { const nx = cur.nextSibling; cur.remove(); cur = nx; }
  }
  function morphNode(o, n) {
    if (o.nodeType !== 1) { if (o.nodeValue !== n.nodeValue) o.nodeValue = n.nodeValue; return; }
    if (o.hasAttribute('sx-preserve') || o.hasAttribute('sx-ignore')) return;
    for (const a of Array.from(o.attributes)) if (!n.hasAttribute(a.name)) o.removeAttribute(a.name);
    for (const a of n.attributes) if (o.getAttribute(a.name) !== a.value) o.setAttribute(a.name, a.value);
    if (o.tagName !== 'TEXTAREA') morphKids(o, n);
  }
  function swap(target, frag, style) {
    // sx-preserve: an element of the page with the same id replaces the
    // new one, so it survives the swap as it was.
    for (const n of all(frag, '[sx-preserve][id]')) { const o = byId(n.id); if (o) n.replaceWith(o); }
    const kids = Array.from(frag.childNodes);
    switch (style) {
      // morph changes the target's children; outerMorph the target itself
      // into the answer's first element (replaced if the tag differs).
      case 'morph': case 'outerMorph': {
        const a = D.activeElement, s = a && a.selectionStart, e = a && a.selectionEnd, n = frag.firstElementChild;
        if (style === 'morph') morphKids(target, frag);
        else if (!n || n.nodeName !== target.nodeName) { target.replaceWith(frag); return n ? [n] : []; }
        else morphNode(target, n);
        if (a && a.isConnected && D.activeElement !== a) { a.focus(); if (s != null) try { a.setSelectionRange(s, e); } catch (x) { /* not a text field */ } }
        return style === 'morph' ? Array.from(target.children) : [target];
      }
      case 'outerHTML': target.replaceWith(frag); break;
      case 'beforebegin': target.before(frag); break;
      case 'afterbegin': target.prepend(frag); break;
      case 'beforeend': target.append(frag); break;
      case 'afterend': target.after(frag); break;
      case 'delete': target.remove(); return [];
      case 'none': return [];
      default: target.replaceChildren(frag);
    }
    return kids.filter((n) => n.nodeType === 1);
  }
  function oob(frag) {
    for (const el of all(frag, '[sx-swap-oob]')) {
      const spec = attr(el, 'sx-swap-oob');
      const style = spec === 'true' || !spec ? 'outerHTML' : spec.split(':')[0];
      const dest = byId(el.id);
      el.removeAttribute('sx-swap-oob');
      el.remove();
      if (!dest) continue;
      if (style === 'outerHTML') dest.replaceWith(el);
      else { const f = D.createDocumentFragment(); f.append(...el.childNodes); swap(dest, f, style); }
      process(dest.isConnected ? dest : el);
    }
  }
  // params gathers what a request sends: the form, the element's own
  // name=value, sx-include, sx-vals, filtered by sx-params.
  function params(el, verb) {
    const fd = el.tagName === 'FORM' ? new G.FormData(el) : new G.FormData();
    const add = (n) => {
      if (n.tagName === 'FORM') { for (const [k, v] of new G.FormData(n)) fd.append(k, v); return; }
      for (const c of n.name ? [n] : all(n, '[name]')) if ('value' in c && (!/^(checkbox|radio)$/.test(c.type) || c.checked)) fd.append(c.name, c.value);
    };
    if (el.tagName !== 'FORM') {
      if (el.name) add(el);
      const form = el.closest('form');
      if (form && verb !== 'get') for (const [k, v] of new G.FormData(form)) if (!fd.has(k)) fd.append(k, v);
    }
    const inc = attr(el, 'sx-include');
    if (inc) resolve(el, inc).forEach(add);
    const vals = attr(el, 'sx-vals');
    if (vals) for (const [k, v] of Object.entries(JSON.parse(vals))) fd.set(k, v);
    const p = (attr(el, 'sx-params') || '*').trim();
    if (p !== '*') {
      const not = p.startsWith('not '), names = (not ? p.slice(4) : p).split(',').map((s) => s.trim());
      for (const k of Array.from(new Set(fd.keys()))) if (p === 'none' || names.includes(k) === not) fd.delete(k);
    }
    return fd;
  }
  // Parsing of "style mod:value …" and "event[filter] mod:value …".
  function mods(words) {
    const m = {};
    for (const w of words.trim().split(/\s+/)) {
      if (!w) continue;
      const i = w.indexOf(':');
      m[i < 0 ? w : w.slice(0, i)] = i < 0 ? true : w.slice(i + 1);
    }
    return m;
  }
  // Intervals as htmx reads them: "2s", "500ms", or a bare number of ms.
  const ms = (t) => /[^m]s$/.test(t) ? parseFloat(t) * 1000 : parseFloat(t);
  const sleep = (t) => new Promise((r) => G.setTimeout(r, t));
  const isGet = (v) => v === 'get';

  // A request as the element would send it now.
  function build(el, trigger) {
    const vi = verbOf(el);
    if (!vi) return null;
    const [verb, url] = vi;
    const b = boosted(el);
    const byBoost = b && !el.hasAttribute('sx-' + verb);
    const target = resolve(el, attr(el, 'sx-target') || (byBoost ? (attr(b, 'sx-target') || '#sx-root') : null))[0];
    if (!target) return null;
    const headers = { 'SX-Request': 'true', 'SX-Current-URL': G.location.href };
    if (target.id) headers['SX-Target'] = target.id;
    if (el.id) headers['SX-Trigger'] = el.id;
    if (el.name) headers['SX-Trigger-Name'] = el.name;
    if (b) headers['SX-Boosted'] = 'true';
    const hash = compHash || store.get(LS_HASH);
    if (hash) headers['SX-Components-Hash'] = hash;
    const csrf = D.querySelector('meta[name="csrf-token"]');
    if (csrf && !isGet(verb)) headers['X-CSRF-Token'] = csrf.content;
    const extra = attr(el, 'sx-headers');
    if (extra) Object.assign(headers, JSON.parse(extra));
    const fd = params(el, verb);
    const u = new URL(url || G.location.href, G.location.href);
    let body = null;
    if (isGet(verb) || verb === 'delete') for (const [k, v] of fd) u.searchParams.append(k, v);
    else body = attr(el, 'sx-encoding') === 'multipart/form-data' ? fd : new URLSearchParams(fd);
    return { elt: el, target, verb, url: u.href, headers, body, trigger, boosted: b, byBoost };
  }
  // send fetches once: the answer as {ok, status, h(name), text}.
  async function send(r, signal) {
    const res = await G.fetch(r.url, { method: r.verb.toUpperCase(), headers: r.headers, body: r.body, credentials: 'same-origin', signal });
    return { ok: res.ok, status: res.status, h: (n) => res.headers.get(n), text: await res.text(), response: res, url: res.redirected ? res.url : r.url };
  }
  // sx-preload: a GET fetched on hover/focus/touch, used by the click that
  // follows within 30 s.
  const preloaded = new Map();
  function preload(el) {
    const r = build(el, 'preload');
    if (!r || !isGet(r.verb)) return;
    const p = preloaded.get(r.url);
    if (p && Date.now() - p.t < 30000) return;
    const got = send(r).catch(() => null);
    preloaded.set(r.url, { t: Date.now(), got });
  }

  // sx-sync and the trigger's queue: modifier: one request at a time per
  // sync element; the others are dropped, abort or replace the running
  // one, or wait in a queue (first, last or all).
  function sync(el, trigger, queue) {
    const s = attr(el, 'sx-sync');
    const m = s && /^(?:(.*):)?\s*(drop|abort|replace|queue(?:\s+(first|last|all))?)\s*$/.exec(s);
    const se = (m && m[1] ? resolve(el, m[1].trim())[0] : null) || el;
    const st = m ? (m[2].startsWith('queue') ? m[3] || 'last' : m[2]) : queue === 'none' ? 'drop' : queue || 'last';
    const q = se.__sync || (se.__sync = { q: [] });
    const job = () => {
      const me = q.cur = { st, ctl: new G.AbortController() };
      return issue(el, trigger, me.ctl).finally(() => {
        if (q.cur !== me) return;
        q.cur = null;
        if (q.q.length) q.q.shift()();
      });
    };
    if (q.cur) {
      if (q.cur.st === 'abort' || st === 'replace') q.cur.ctl.abort();
      else {
        if (st === 'all' || (st === 'first' && !q.q.length)) q.q.push(job);
        else if (st === 'last') q.q = [job];
        return Promise.resolve();
      }
    }
    return job();
  }

  let histEl = null; // the element a boosted page lives in (history snapshots)
  async function issue(el, trigger, ctl) {
    const confirmMsg = attr(el, 'sx-confirm');
    if (confirmMsg && !G.confirm(confirmMsg)) return;
    // Forms are checked with the constraint validation API; other
    // elements with sx-validate check their form or themselves.
    const vf = el.tagName === 'FORM' ? (el.noValidate ? null : el) : el.hasAttribute('sx-validate') ? el.form || el.closest('form') || el : null;
    if (vf && vf.reportValidity && !vf.reportValidity()) return;
    const r = build(el, trigger);
    if (!r) return;
    const pr = attr(el, 'sx-prompt');
    if (pr) {
      const answer = G.prompt(pr);
      if (answer === null) return;
      r.headers['SX-Prompt'] = answer;
    }
    if (!emit(el, 'sx:beforeRequest', r, true)) return;
    const ind = attr(el, 'sx-indicator');
    const inds = ind ? resolve(el, ind) : [el];
    inds.forEach((i) => i.classList.add('sx-request'));
    const dis = attr(el, 'sx-disabled-elt');
    const disabled = dis ? resolve(el, dis) : [];
    disabled.forEach((d) => { d.disabled = true; });
    const swapSpec = (attr(el, 'sx-swap') || 'innerHTML').split(' ');
    // sx-optimistic: a preview (a <template>'s content, or SX) shown in
    // the target at once and taken back before the answer is swapped or
    // when the request fails.
    let undo = null;
    const opt = attr(el, 'sx-optimistic');
    if (opt) {
      const t = r.target, saved = Array.from(t.childNodes);
      const f = opt.startsWith('(') ? SX.renderToDOM(opt, SX.env, 'optimistic') : D.querySelector(opt).content.cloneNode(true);
      const added = Array.from(f.childNodes);
      if (/^(before|after)/.test(swapSpec[0])) swap(t, f, swapSpec[0]); else t.replaceChildren(f);
      undo = () => { added.forEach((n) => n.remove()); if (!/^(before|after)/.test(swapSpec[0])) t.replaceChildren(...saved); };
    }
    const rs = attr(el, 'sx-retry') || '', rt = mods(rs), tries = parseInt(rs) || 0;
    const idem = r.verb !== 'post' && r.verb !== 'patch';
    const timeout = attr(el, 'sx-timeout');
    let res, timedOut = false;
    ctl = ctl || new G.AbortController();
    try {
      const pre = isGet(r.verb) && preloaded.get(r.url);
      if (pre) preloaded.delete(r.url);
      if (pre && Date.now() - pre.t < 30000) res = await pre.got;
      // sx-retry: network errors and 5xx answers of idempotent verbs are
      // tried again, waiting backoff, then twice as long each time.
      for (let i = 0; !res; i++) {
        const tm = timeout && G.setTimeout(() => { timedOut = true; ctl.abort(); }, ms(timeout));
        try {
          res = await send(r, ctl.signal);
          if (res.status >= 500 && i < tries && idem) res = null;
        } catch (e) {
          if (ctl.signal.aborted || i >= tries || !idem) throw e;
        } finally { G.clearTimeout(tm); }
        if (!res) await sleep(ms(rt.backoff || '500ms') * 2 ** i);
      }
    } catch (e) {
      if (undo) undo();
      if (ctl.signal.aborted && !timedOut) return; // sx-sync aborted it
      el.classList.add('sx-error');
      emit(el, timedOut ? 'sx:timeout' : 'sx:sendError', Object.assign(r, { error: e }));
      G.console.error('sx: request failed:', e);
      return;
    } finally {
      inds.forEach((i) => i.classList.remove('sx-request'));
      disabled.forEach((d) => { d.disabled = false; });
    }
    r.response = res.response;
    emit(el, 'sx:afterRequest', r);
    const h = res.h, text = res.text;
    if (h('SX-Redirect')) { G.location.href = h('SX-Redirect'); return; }
    if (h('SX-Refresh') === 'true') { G.location.reload(); return; }
    const loc = h('SX-Location');
    if (loc) {
      if (undo) undo();
      // A client-side navigation: GET the path into #sx-root (or the
      // JSON form's target) and push its URL, as a boosted link would.
      let o;
      try { o = JSON.parse(loc); } catch (e) { o = { path: loc }; }
      const a = D.createElement('a');
      a.setAttribute('sx-get', o.path);
      a.setAttribute('sx-target', o.target || '#sx-root');
      a.setAttribute('sx-push-url', 'true');
      a.setAttribute('sx-headers', '{"SX-Boosted":"true"}'); // the page's title comes along
      for (const k of ['swap', 'select']) if (o[k]) a.setAttribute('sx-' + k, o[k]);
      return issue(a, 'location');
    }
    if (!res.ok) {
      if (undo) undo();
      el.classList.add('sx-error');
      emit(el, 'sx:responseError', Object.assign(r, { status: res.status, body: text }));
      const et = attr(el, 'sx-error-target'), box = et && resolve(el, et)[0];
      const msg = errorText(text, res.status);
      if (box) box.textContent = msg;
      else G.console.error('sx: ' + r.verb.toUpperCase() + ' ' + r.url + ' answered ' + res.status + ': ' + msg);
      return;
    }
    el.classList.remove('sx-error');
    // The answer's components need sx-ext.js, which this page lacks.
    const ext = h('SX-Ext');
    if (ext && !SX.ext) await new Promise((ok) => { const s = D.createElement('script'); s.src = ext; s.nonce = nonce(); s.onload = s.onerror = ok; D.head.append(s); });
    trig(el, h('SX-Trigger'));
    let frag;
    try { frag = toNodes(text, (h('Content-Type') || '').startsWith('text/sx')); } catch (e) {
      frag = D.createDocumentFragment();
      frag.appendChild(SX.errorBox(e));
      G.console.error(e);
    }
    const real = h('SX-Retarget') ? D.querySelector(h('SX-Retarget')) : r.target;
    const sm = mods(swapSpec.slice(1).join(' '));
    const style = h('SX-Reswap') || swapSpec[0];
    // sx-select-oob "#a, #b:innerHTML": parts of the answer swapped by id.
    for (const part of (attr(el, 'sx-select-oob') || '').split(',')) {
      const [sel, st] = part.trim().split(':');
      if (sel) for (const n of all(frag, sel)) n.setAttribute('sx-swap-oob', st || 'true');
    }
    const sel = h('SX-Reselect') || attr(el, 'sx-select');
    if (sel) { const picked = D.createDocumentFragment(); for (const n of all(frag, sel)) picked.append(n); oob(frag); frag = picked; }
    else oob(frag);
    r.fragment = frag;
    if (!emit(el, 'sx:beforeSwap', r, true)) { if (undo) undo(); return; }
    // A redirect the fetch followed (a form's 303) shows its own URL, as it
    // would without JavaScript.
    const url = res.url, push = h('SX-Push-Url') || attr(el, 'sx-push-url') || (r.byBoost && (isGet(r.verb) || url !== r.url) ? 'true' : null);
    const repl = h('SX-Replace-Url') || attr(el, 'sx-replace-url');
    const pushing = push && push !== 'false';
    if (pushing) snapshot();
    if (sm.swap) await sleep(ms(sm.swap));
    if (undo) undo();
    const doSwap = () => {
      // A swap in view (not wholly above it) keeps the scroll position:
      // the browser's scroll anchoring may pin a node of the new content
      // where the target was and scroll past the rest (a revealed "more"
      // item among it then loads every page in a row).
      const y = real.getBoundingClientRect().bottom > 0 ? G.scrollY : -1;
      const added = swap(real, frag, style);
      if (y >= 0) G.scrollTo(G.scrollX, y);
      hoist(added);
      for (const n of added) if (n.isConnected) process(n);
    };
    if (sm.transition === 'true' && D.startViewTransition) await D.startViewTransition(doSwap).updateCallbackDone;
    else doSwap();
    const at = real.isConnected ? real : D.body;
    emit(at, 'sx:afterSwap', r);
    trig(el, h('SX-Trigger-After-Swap'));
    if (pushing) { if (!G.history.state?.sx) G.history.replaceState({ sx: 1 }, ''); G.history.pushState({ sx: 1 }, '', push === 'true' ? url : push); curUrl = G.location.href; }
    else if (repl && repl !== 'false') { G.history.replaceState({ sx: 1 }, '', repl === 'true' ? url : repl); curUrl = G.location.href; }
    // Scrolling: scroll:top|bottom sets a box's scroll, show:top|bottom
    // brings it into view (optionally of "selector:" or "window:").
    for (const k of ['scroll', 'show']) {
      if (!sm[k]) continue;
      const p = sm[k].split(':'), where = p.pop(), w = p.join(':');
      const box = w === 'window' ? D.documentElement : w ? D.querySelector(w) : at;
      if (!box) continue;
      if (k === 'show') box.scrollIntoView({ block: where === 'bottom' ? 'end' : 'start' });
      else box.scrollTop = where === 'bottom' ? box.scrollHeight : 0;
    }
    // A boosted page: top of the page, focus to the new main content.
    if (r.byBoost) {
      histEl = real;
      if (!sm.show && !sm.scroll) G.scrollTo(0, 0);
      if (!real.hasAttribute('tabindex')) real.setAttribute('tabindex', '-1');
      real.focus({ preventScroll: true });
    }
    await sleep(sm.settle ? ms(sm.settle) : 20);
    emit(real.isConnected ? real : D.body, 'sx:afterSettle', r);
    trig(el, h('SX-Trigger-After-Settle'));
  }

  // ---- history ----
  // Before a URL is pushed the page's main region is kept (the last 10, in
  // sessionStorage); Back and Forward put it back with its scroll position
  // and title, or, on a miss, ask the server with SX-History-Restore-Request.
  const HIST = 'sx-history';
  let curUrl = G.location && G.location.href;
  const histRoot = () => histEl && histEl.isConnected ? histEl : byId('sx-root') || D.body;
  function cache(list) {
    try {
      if (!list) return JSON.parse(G.sessionStorage.getItem(HIST)) || [];
      G.sessionStorage.setItem(HIST, JSON.stringify(list));
    } catch (e) { return list ? null : []; }
  }
  function snapshot() {
    const root = histRoot();
    const c = cache().filter((s) => s.url !== curUrl);
    c.push({ url: curUrl, id: root.id, html: root.innerHTML, title: D.title, y: G.scrollY });
    while (c.length > 10) c.shift();
    // A full storage drops the oldest until the snapshot fits.
    while (c.length && cache(c) === null) c.shift();
  }
  async function restore() {
    const url = G.location.href;
    if (url.split('#')[0] === curUrl.split('#')[0]) { curUrl = url; return; }
    snapshot();
    curUrl = url;
    const s = cache().find((x) => x.url === url);
    let root = s && s.id ? byId(s.id) : histRoot();
    if (s && root) {
      root.innerHTML = s.html;
      D.title = s.title;
      process(root);
      G.scrollTo(0, s.y);
    } else {
      // Not cached: the server sends the page's main content again.
      root = histRoot();
      const a = D.createElement('a');
      a.setAttribute('sx-get', url);
      a.setAttribute('sx-target', root.id ? '#' + root.id : 'body');
      a.setAttribute('sx-headers', '{"SX-Boosted":"true","SX-History-Restore-Request":"true"}');
      await issue(a, 'popstate');
    }
    emit(D.body, 'sx:historyRestore', { path: url, cacheMiss: !s });
  }

  function trig(el, spec) {
    if (!spec) return;
    let evs;
    try { evs = JSON.parse(spec); } catch (e) { evs = Object.fromEntries(spec.split(',').map((n) => [n.trim(), {}])); }
    for (const [n, d] of Object.entries(evs)) emit(el, n, d);
  }
  // hoist moves a title, named meta and canonical link out of swapped-in
  // content into <head> (boosted navigation carries the page's title).
  function hoist(nodes) {
    const head = D.head, q = 'title,meta[name],link[rel=canonical]';
    for (const n of nodes) {
      for (const el of (n.matches(q) ? [n] : all(n, q))) {
        if (el.closest('svg')) continue;
        const old = head.querySelector(el.tagName === 'TITLE' ? 'title' : el.tagName === 'META' ? 'meta[name="' + attr(el, 'name') + '"]' : 'link[rel=canonical]');
        if (old) old.replaceWith(el); else head.append(el);
      }
    }
  }
  function errorText(text, status) {
    try { const j = JSON.parse(text); if (j && j.error) return j.error; } catch (e) { /* not JSON */ }
    return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() || 'HTTP ' + status;
  }
  function parseTriggers(el) {
    const spec = attr(el, 'sx-trigger');
    if (!spec) return [{ ev: el.tagName === 'FORM' ? 'submit' : /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) ? 'change' : 'click', mods: {} }];
    return spec.split(',').map((part) => {
      const m = /^\s*(every\s+\S+|[^\s[]+)(?:\[([^\]]*)\])?(.*)$/.exec(part);
      return { ev: m[1], filter: m[2], mods: mods(m[3] || '') };
    });
  }
  // onHover: a pointer over, focus in or a touch of el (sx-preload).
  const onHover = (el, f) => { for (const e of ['mouseenter', 'focusin', 'touchstart']) el.addEventListener(e, f, { passive: true }); };
  function bindEl(el) {
    if (el.__sx) return;
    el.__sx = true;
    if (el.hasAttribute('sx-preload')) onHover(el, () => preload(el));
    for (const t of parseTriggers(el)) {
      const go = (why) => sync(el, why, t.mods.queue);
      if (t.ev === 'load') { G.setTimeout(() => go('load'), 0); continue; }
      if (t.ev.startsWith('every')) { const id = G.setInterval(() => el.isConnected ? go('every') : G.clearInterval(id), ms(t.ev.split(/\s+/)[1])); continue; }
      if (t.ev === 'revealed' || t.ev === 'intersect') {
        new G.IntersectionObserver((es, o) => { if (es.some((e) => e.isIntersecting)) { if (t.ev === 'revealed') o.disconnect(); go(t.ev); } }).observe(el);
        continue;
      }
      const f = t.mods.from;
      const src = f ? (f === 'document' ? D : f === 'window' ? G : resolve(el, f === 'body' ? 'body' : f)[0]) : el;
      if (!src) continue;
      // changed compares with the value the element had when bound (htmx).
      let timer = null, last = el.value;
      const handler = (ev) => {
        if (t.mods.target && !(ev.target.matches && ev.target.matches(t.mods.target))) return;
        if (ev.type === 'submit' || (ev.type === 'click' && (el.tagName === 'A' || (el.tagName === 'BUTTON' && el.form)))) ev.preventDefault();
        if (t.filter) { try { if (!truthy(SX.evaluate(t.filter, withEvent(ev)))) return; } catch (e) { G.console.error(e); return; } }
        if (t.mods.changed) { if (el.value === last) return; last = el.value; }
        if (t.mods.consume) ev.stopPropagation();
        const run = () => go(ev.type);
        if (t.mods.delay) { G.clearTimeout(timer); timer = G.setTimeout(run, ms(t.mods.delay)); }
        else if (t.mods.throttle) { if (!timer) { run(); timer = G.setTimeout(() => { timer = null; }, ms(t.mods.throttle)); } }
        else run();
      };
      src.addEventListener(t.ev, handler, { once: !!t.mods.once });
    }
  }
  // withEvent exposes an event to a trigger filter: its fields are globals
  // of a child environment (key, ctrlKey, target …).
  function withEvent(ev) {
    const e = child(SX.env);
    for (const k of 'key code ctrlKey shiftKey altKey metaKey button type'.split(' ')) e[k] = ev[k] === undefined ? null : ev[k];
    return e;
  }
  const SX_EVENTS = 'beforeRequest afterRequest beforeSwap afterSwap afterSettle responseError sendError timeout historyRestore load'.split(' ');
  function bindHandlers(el) {
    for (const a of Array.from(el.attributes)) {
      if (!a.name.startsWith('sx-on:')) continue;
      // HTML lower-cases attribute names: sx-on:afterSwap arrives as
      // "afterswap" (htmx-style kebab-case and an sx: prefix are allowed too).
      let ev = a.name.slice(6);
      const k = ev.replace(/^sx:/, '').replace(/-/g, '');
      const known = SX_EVENTS.find((n) => n.toLowerCase() === k);
      if (known) ev = 'sx:' + known;
      const body = a.value;
      el.addEventListener(ev, () => {
        try { SX.evaluate(body, Object.assign(child(SX.env), { this: el })); } catch (e) { G.console.error('sx-on:', SX.formatError(e)); }
      });
    }
  }
  // process binds the sx-* elements under root; sx-ignore subtrees are
  // left alone. Boosted links and forms are not bound one by one (boostEvent).
  const BIND_SEL = VERB_SEL + ',[sx-trigger],[sx-preload]';
  function process(root, noHandlers) {
    if (!root.querySelectorAll) return;
    // The elements with an sx-* attribute, root too if it is one (a
    // fragment given as root is not): no CSS selector matches a prefix of
    // attribute names (sx-on:…), XPath does, without a walk in JS. At boot
    // a document whose server found no sx-on: in it is searched by CSS
    // alone (faster on a first visit).
    const x = noHandlers ? [root, ...root.querySelectorAll(BIND_SEL)] : D.evaluate('(.|.//*)[@*[starts-with(name(),"sx-")]]', root, null, 7, null);
    for (let i = 0; i < (x.length ?? x.snapshotLength); i++) {
      const el = noHandlers ? x[i] : x.snapshotItem(i);
      if (el.closest('[sx-ignore]')) continue;
      if (el.matches(BIND_SEL) && verbOf(el)) bindEl(el);
      // sx-preload on a plain link: the browser prefetches the page on
      // hover or focus (its prefetch cache serves the click).
      else if (el.matches('a[href][sx-preload]') && !el.__sx) {
        el.__sx = true;
        onHover(el, () => { if (!el.__pf) { el.__pf = D.head.appendChild(D.createElement('link')); el.__pf.rel = 'prefetch'; el.__pf.href = el.href; } });
      }
      if (!noHandlers) bindHandlers(el);
    }
    emit(root, 'sx:load', {});
  }
  // boostEvent handles a click on a boosted link or the submit of a boosted
  // form: one listener on the document for all of them, those a swap adds
  // later too. Elements bound by process (sx-get …, sx-trigger, sx-preload)
  // handle their own events.
  function boostEvent(ev) {
    const el = ev.target.closest && ev.target.closest(ev.type === 'submit' ? 'form' : 'a[href]');
    if (!el || el.__sx || el.closest('[sx-ignore]') || !verbOf(el)) return;
    ev.preventDefault();
    sync(el, ev.type);
  }
  SX.engine = {
    init(body, noHandlers) {
      process(body, noHandlers);
      for (const e of ['click', 'submit']) D.addEventListener(e, boostEvent);
      if (!G.history) return;
      G.history.scrollRestoration = 'manual';
      G.addEventListener('popstate', (e) => e.state && e.state.sx ? restore() : curUrl.split('#')[0] !== G.location.href.split('#')[0] && G.location.reload());
    },
    process,
    issue: (el, trigger) => sync(el, trigger),
  };

  // ---- boot: component bundle, mounts ----
  const LS_HASH = 'sx-components-hash', LS_SRC = 'sx-components-src';
  let compHash = '';
  const store = {
    get(k) { try { return G.localStorage.getItem(k); } catch (e) { return null; } },
    set(k, v) { try { G.localStorage.setItem(k, v); return 1; } catch (e) { /* private mode or full */ } },
    del(k) { try { G.localStorage.removeItem(k); } catch (e) { /* ignore */ } },
  };
  function setHashCookie(hash) {
    D.cookie = 'sx-comp-hash=' + (hash || '') + '; path=/; SameSite=Lax' + (hash ? '' : '; max-age=0');
  }
  // loadComponents takes the definitions a <script type="text/sx"
  // data-components data-hash> carries, or, when it came empty because the
  // browser reported that hash, the copy kept in localStorage; they are
  // evaluated when SX first runs (withEnv).
  // A page that carries its bundle touches no storage while it boots (a
  // new context's first localStorage use waits on the browser process): the
  // bundle is stored when the browser is idle, and only then does the
  // cookie report its hash. Requests report the hash of
  // the components in memory.
  SX.loadComponents = function (script) {
    const hash = script.getAttribute('data-hash') || '';
    const text = script.textContent, src = /\S/.test(text) ? text : null;
    const kept = src || !hash || store.get(LS_HASH) !== hash ? null : store.get(LS_SRC);
    if (src || kept !== null) {
      lazyComps = (lazyComps || '') + (src || kept) + '\n';
      compHash = hash;
      // (A page left before it is idle stores nothing: the next carries
      // the bundle again.)
      if (src && hash) (G.requestIdleCallback || setTimeout)(() => { store.del(LS_HASH); store.set(LS_SRC, src) && store.set(LS_HASH, hash) && setHashCookie(hash); });
      return true;
    }
    // The server thought we had them but we do not: forget and reload once.
    store.del(LS_HASH); store.del(LS_SRC); setHashCookie('');
    if (!G.sessionStorage || G.sessionStorage.getItem('sx-reloaded') !== hash) {
      try { G.sessionStorage.setItem('sx-reloaded', hash); } catch (e) { /* ignore */ }
      G.location.reload();
    }
    return false;
  };
  // mount renders a <script type="text/sx" data-mount="selector"> into its
  // target unless the server already rendered it there.
  SX.mount = function (script) {
    const target = D.querySelector(script.getAttribute('data-mount'));
    if (!target || target.childNodes.length) return;
    try { target.replaceChildren(SX.renderToDOM(script.textContent, SX.env, 'mount')); } catch (e) {
      target.replaceChildren(SX.errorBox(e));
      G.console.error(e);
    }
  };
  SX.boot = function () {
    const doc = D;
    // A page whose components need sx-ext.js boots when that file has run.
    // If that file fails to load, the page boots without its primitives.
    const xs = doc.querySelector('script[data-sx-ext]');
    if (xs && !xs.failed && !SX.ext) {
      xs.onerror = () => { xs.failed = 1; G.console.error('sx: sx-ext.js did not load; unavailable: ' + xs.dataset.sxExt); SX.boot(); };
      return;
    }
    for (const s of doc.querySelectorAll('script[type="text/sx"][data-components]')) {
      try { if (!SX.loadComponents(s)) return; } catch (e) { G.console.error('sx: components:', SX.formatError(e)); }
    }
    for (const s of doc.querySelectorAll('script[type="text/sx"][data-mount]')) SX.mount(s);
    if (SX.engine) SX.engine.init(doc.body, doc.querySelector('script[data-sx-handlers=none]'));
    SX.ready = true;
    doc.documentElement.setAttribute('data-sx-ready', 'true');
  };
  if (D && D.addEventListener) {
    if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', SX.boot);
    else SX.boot();
  }

  G.SX = SX;
})(typeof globalThis !== 'undefined' ? globalThis : this);
