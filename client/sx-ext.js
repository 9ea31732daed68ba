// sx-ext.js — the rarely used primitives of the SX browser runtime, kept
// out of sx.js so that the file every page loads stays small: datetime
// parsing and formatting (format-date's strftime), decimal rounding and
// conversion, JSON, and list, string and symbol helpers that no shipped
// component calls. It runs after sx.js and adds its primitives to the
// page's environment. The host adds it to a page, and names it in the
// SX-Ext header of text/sx answers, when the component bundle refers to one
// of them (host/sxpage.go); client/parity_test.go runs both files.
(function (SX) {
  'use strict';
  const { Sym, Kw, Html, SxDate, Prim, Macro, Comp, SxError, sym, read, print, toStr, typeOf, equal } = SX;
  const { def, want, fail, truthy, apply, arith, compare, lookupIn, sliceOf, isKeywordName, quoteStr, fmtNum, numCmp, isNum, toDec, decOp, decStr, parseDec, dateString, parseISO, zone, pad, toInt, mutDict, Dec } = SX._;
  const MAXI = 9223372036854775807;
  const pred = (name, f) => def(name, 1, 1, (x) => f(x === undefined ? null : x));
  const identical = (a, b) => (isList(a) || a instanceof Map) ? a === b : equal(a, b);
  const dictKey = (v) => typeof v === 'string' ? v : v instanceof Kw ? v.name : null;
  const dflt = (d) => d === undefined ? null : d;
  const NONE = {}; // get-in's marker of a missing key
  const isList = Array.isArray;
  const isInt = (n) => Number.isInteger(n) && Math.abs(n) < MAXI;
  const chars = (s) => Array.from(s);
  const call1 = (f, x) => apply(f, [x], null);
  const strFn = (name, f) => def(name, 1, 1, (s) => f(want.str(name, s)));

  // decRound rounds a decimal half away from zero to places decimals.
  function decRound(d, places) {
    if (places >= d.s) return new Dec(d.c * 10n ** BigInt(places - d.s), places);
    const div = 10n ** BigInt(d.s - places);
    let q = d.c / div;
    const r = d.c % div;
    if ((r < 0n ? -r : r) * 2n >= div) q += d.c < 0n ? -1n : 1n;
    return new Dec(q, places);
  }
  const roundHalfAway = (f) => f < 0 ? -Math.round(-f) : Math.round(f);
  def('round', 1, 2, (x, places) => {
    want.num('round', x);
    if (places === undefined) return Number.isInteger(x) ? x : toInt('round', roundHalfAway(x));
    const p = want.int('round', places);
    if (!Number.isFinite(x)) return x;
    if (p < 0) { if (p < -308) return 0; const s = Math.pow(10, -p); return roundHalfAway(x / s) * s; }
    if (p > 20) return x;
    return Number(decimalString(x, p));
  });
  // decimalString formats f with exactly places decimals, rounding the
  // shortest decimal form half away from zero (2.675 → "2.68").
  // toExponential is that shortest form, which parseDec reads exactly.
  const decimalString = (f, places) => Number.isFinite(f) ? decStr(decRound(parseDec(f.toExponential()), places)) : fmtNum(f);
  def('clamp', 3, 3, (x, lo, hi) => {
    want.num('clamp', x); want.num('clamp', lo); want.num('clamp', hi);
    if (numCmp('clamp', lo, hi) > 0) fail('clamp: lower bound ' + print(lo) + ' is above upper bound ' + print(hi));
    return numCmp('clamp', x, lo) < 0 ? lo : numCmp('clamp', x, hi) > 0 ? hi : x;
  });
  const toF = (x) => x instanceof Dec ? Number(decStr(x)) : x;
  def('sqrt', 1, 1, (x) => { want.num('sqrt', x); x = toF(x); if (x < 0) fail('sqrt: negative argument ' + print(x)); return Math.sqrt(x); });
  def('pow', 2, 2, (b, e) => {
    want.num('pow', b); want.num('pow', e);
    if (b instanceof Dec && Number.isInteger(e) && e >= 0) { let r = new Dec(1n, 0); for (let i = 0; i < e; i++) r = decOp('*', r, b); return r; }
    b = toF(b); e = toF(e);
    if (b === 0 && e < 0) fail('division by zero');
    const r = Math.pow(b, e);
    if (Number.isInteger(b) && Number.isInteger(e) && e >= 0 && Math.abs(r) >= MAXI) fail('pow: integer overflow');
    return r;
  });
  def('random-int', 2, 2, (lo, hi) => {
    want.int('random-int', lo); want.int('random-int', hi);
    if (lo > hi) fail('random-int: lower bound ' + lo + ' is above upper bound ' + hi);
    return lo + Math.floor(Math.random() * (hi - lo + 1));
  });
  const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  def('parse-float', 1, 2, (s, d) => {
    if (isNum(s)) return toF(s);
    if (typeof s === 'string' && FLOAT.test(s.trim()) && Number.isFinite(Number(s.trim()))) return Number(s.trim());
    return d === undefined ? null : d;
  });
  def('format-decimal', 1, 2, (x, places) => {
    let p = 2;
    if (places !== undefined) { p = want.int('format-decimal', places); if (p < 0 || p > 100) fail('format-decimal: places must be between 0 and 100, got ' + p); }
    if (typeof x === 'string') {
      const s = x.trim();
      if (!FLOAT.test(s)) fail('format-decimal expects numbers, got string ' + print(x));
      x = parseDec(s.replace(/^([+-]?)\./, (m, g) => g + '0.').replace(/\.(?=$|[eE])/, ''));
    } else want.num('format-decimal', x);
    return x instanceof Dec ? decStr(decRound(x, p)) : decimalString(x, p);
  });
  def('decimal', 1, 1, (v) => {
    if (typeof v === 'string') return parseDec(v.trim()) || fail('decimal: invalid decimal ' + print(v));
    return toDec('decimal', v);
  });
  def('decimal?', 1, 1, (v) => v instanceof Dec);
  def('decimal-scale', 1, 1, (v) => { if (!(v instanceof Dec)) fail('decimal-scale expects a decimal, got ' + typeOf(v)); return v.s; });
  def('parse-decimal', 1, 2, (v, d) => {
    if (v instanceof Dec) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return toDec('parse-decimal', v);
    const r = typeof v === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v.trim()) ? parseDec(v.trim().replace(/^([+-]?)\./, (m, g) => g + '0.').replace(/\.$/, '')) : null;
    return r || (d === undefined ? null : d);
  });
  strFn('capitalize', (s) => { const c = chars(s); if (!c.length) return s; c[0] = c[0].toUpperCase(); return c.join(''); });
  def('char-from-code', 1, 1, (n) => {
    want.int('char-from-code', n);
    if (n < 0 || n > 0x10FFFF || (n >= 0xD800 && n < 0xE000)) fail('char-from-code: invalid code point ' + n);
    return String.fromCodePoint(n);
  });
  def('char-code', 1, 1, (s) => { s = want.str('char-code', s); if (s === '') fail('char-code expects a non-empty string, got ""'); return s.codePointAt(0); });
  def('string-repeat', 2, 2, (s, n) => {
    s = want.str('string-repeat', s); n = want.int('string-repeat', n);
    if (n <= 0 || s === '') return '';
    if (n * s.length > 1e7) fail('string-repeat: result too long (' + n * s.length + ' characters)');
    return s.repeat(n);
  });
  const isSymbolName = (s) => isKeywordName(s) && s[0] !== ':' && s[0] !== '#' && !/^[+-]?\d/.test(s) && !['true', 'false', 'nil'].includes(s);
  function badName(prim, kind, name) {
    fail(name === '' ? prim + ': empty name' : prim + ': ' + quoteStr(name) + ' is not a valid ' + kind + ' name');
  }
  def('string->symbol', 1, 1, (s) => {
    if (s instanceof Sym) return s;
    const name = typeof s === 'string' ? s : s instanceof Kw ? s.name : fail('string->symbol expects a string, got ' + typeOf(s));
    return isSymbolName(name) ? sym(name) : badName('string->symbol', 'symbol', name);
  });
  def('keyword', 1, 1, (s) => {
    if (s instanceof Kw) return s;
    const name = typeof s === 'string' ? s : s instanceof Sym ? s.name : fail('keyword expects a string, got ' + typeOf(s));
    return isKeywordName(name) ? new Kw(name) : badName('keyword', 'keyword', name);
  });
  def('sx-parse', 1, 1, (s) => {
    try { return read(want.str('sx-parse', s), 'sx-parse'); } catch (e) {
      if (e instanceof SxError && e.pos) fail('sx-parse: ' + e.msg + ' at line ' + e.pos.line + ', column ' + e.pos.col);
      throw e;
    }
  });
  def('split-ids', 1, 1, (s) => {
    if (s === null) return [];
    const out = [];
    for (let p of want.str('split-ids', s).split(',')) {
      p = p.trim();
      if (p === '') continue;
      if (!/^[+-]?\d+$/.test(p)) fail('split-ids: invalid id ' + print(p));
      out.push(Number(p));
    }
    return out;
  });
  const flat = (l, d) => { if (d > 10000) fail('flatten: lists nested too deeply'); return l.flatMap((x) => isList(x) ? flat(x, d + 1) : [x]); };
  def('flatten', 1, 1, (l) => flat(want.items('flatten', l), 0));
  def('chunk-every', 2, 2, (l, n) => {
    l = want.items('chunk-every', l); n = want.int('chunk-every', n);
    if (n <= 0) fail('chunk-every: size must be positive, got ' + n);
    const out = [];
    for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
    return out;
  });
  def('zip', 1, -1, (...a) => {
    const ls = a.map((x) => want.items('zip', x));
    const n = Math.min(...ls.map((l) => l.length));
    const out = [];
    for (let i = 0; i < n; i++) out.push(ls.map((l) => l[i]));
    return out;
  });
  def('zip-pairs', 1, 1, (l) => { l = want.items('zip-pairs', l); const out = []; for (let i = 0; i + 1 < l.length; i++) out.push([l[i], l[i + 1]]); return out; });
  def('dict-delete!', 2, 2, (d, k) => { mutDict('dict-delete!', d).delete(want.key('dict-delete!', k)); return null; });
  def('update', 3, -1, (d, k, f, ...a) => {
    const out = new Map(want.dict('update', d) || []);
    k = want.key('update', k);
    out.set(k, apply(f, [out.has(k) ? out.get(k) : null].concat(a), null));
    return out;
  });
  def('select-keys', 2, 2, (d, ks) => {
    d = want.dict('select-keys', d);
    const out = new Map();
    for (const kv of want.items('select-keys', ks)) { const k = want.key('select-keys', kv); if (d && d.has(k)) out.set(k, d.get(k)); }
    return out;
  });
  def('take-while', 2, 2, (f, c) => { const l = want.items('take-while', c); let i = 0; while (i < l.length && truthy(call1(f, l[i]))) i++; return l.slice(0, i); });
  def('drop-while', 2, 2, (f, c) => { const l = want.items('drop-while', c); let i = 0; while (i < l.length && truthy(call1(f, l[i]))) i++; return l.slice(i); });
  def('group-by', 2, 2, (f, c) => {
    const d = new Map();
    for (const x of want.items('group-by', c)) { const k = toStr(call1(f, x)); if (d.has(k)) d.get(k).push(x); else d.set(k, [x]); }
    return d;
  });
  def('partial', 1, -1, (f, ...bound) => new Prim('partial', 0, -1, (...more) => apply(f, bound.concat(more), null)));
  def('comp', 0, -1, (...fs) => new Prim('comp', 0, -1, (...more) => {
    if (!fs.length) return more.length ? more[0] : null;
    let r = apply(fs[fs.length - 1], more, null);
    for (let i = fs.length - 2; i >= 0; i--) r = call1(fs[i], r);
    return r;
  }));
  // json
  function jsonStr(s) {
    return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16))
      .replace(/\\u([0-9a-f]{4})/g, (m, h) => (parseInt(h, 16) >= 0xD800 && parseInt(h, 16) < 0xE000) ? '\\ufffd' : m);
  }
  def('json-encode', 1, 2, (x, indent) => {
    let ind = '';
    if (indent !== undefined && indent !== null) {
      if (indent === true) ind = '  ';
      else if (indent !== false) { const k = want.int('json-encode', indent); if (k < 0 || k > 16) fail('json-encode: indent must be between 0 and 16, got ' + k); ind = ' '.repeat(k); }
    }
    const nl = (d) => ind ? '\n' + ind.repeat(d) : '';
    const enc = (v, d) => {
      if (d > 1000) fail('json-encode: value nested too deeply (or cyclic)');
      if (v === null || v === undefined) return 'null';
      if (typeof v === 'boolean') return String(v);
      if (typeof v === 'number') { if (!Number.isFinite(v)) fail('json-encode: cannot encode ' + fmtNum(v)); return fmtNum(v); }
      if (v instanceof Dec) return decStr(v);
      if (typeof v === 'string') return jsonStr(v);
      if (v instanceof Kw || v instanceof Sym) return jsonStr(v.name);
      if (v instanceof Html) return jsonStr(v.s);
      if (v instanceof SxDate) return jsonStr(dateString(v, true));
      if (isList(v)) return v.length ? '[' + v.map((x) => nl(d + 1) + enc(x, d + 1)).join(',') + nl(d) + ']' : '[]';
      if (v instanceof Map) {
        if (!v.size) return '{}';
        const parts = [];
        for (const [k, x] of v) parts.push(nl(d + 1) + jsonStr(k) + ':' + (ind ? ' ' : '') + enc(x, d + 1));
        return '{' + parts.join(',') + nl(d) + '}';
      }
      fail('json-encode: cannot encode a ' + typeOf(v));
    };
    return enc(x, 0);
  });
  def('json-decode', 1, 1, (s) => {
    if (s === null) return null;
    let v;
    try { v = JSON.parse(want.str('json-decode', s)); } catch (e) { fail('json-decode: ' + e.message); }
    const conv = (x) => {
      if (x === null) return null;
      if (Array.isArray(x)) return x.map(conv);
      if (typeof x === 'object') { const m = new Map(); for (const k of Object.keys(x)) m.set(k, conv(x[k])); return m; }
      return x;
    };
    return conv(v);
  });
  let gensyms = 0;
  def('gensym', 0, 1, (p) => {
    const name = (p === undefined || p === null ? 'G__' : toStr(p)) + (++gensyms);
    return isSymbolName(name) ? sym(name) : fail('gensym: prefix ' + print(p) + ' does not make a valid symbol name');
  });
  // fields returns the wall-clock fields of d in its own zone.
  function fields(d) {
    const t = new Date(d.ms + d.off * 60000);
    return { Y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), H: t.getUTCHours(), M: t.getUTCMinutes(), S: t.getUTCSeconds(), w: t.getUTCDay(),
      j: Math.round((Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()) - Date.UTC(t.getUTCFullYear(), 0, 1)) / 864e5) + 1 };
  }
  function wantDate(name, v) {
    if (v instanceof SxDate) return v;
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') { const d = parseISO(v.trim()); if (d) return d; fail(name + ': invalid datetime ' + print(v)); }
    fail(name + ' expects a datetime, got ' + typeOf(v));
  }
  // parseDate is parse-datetime of a value that is not nil or blank.
  function parseDate(s) {
    if (s instanceof SxDate) return s;
    if (typeof s !== 'string') fail('parse-datetime expects a string, got ' + typeOf(s));
    return parseISO(s.trim()) || fail('parse-datetime: invalid datetime ' + print(s));
  }
  def('parse-datetime', 1, 1, (s) => s === null || (typeof s === 'string' && s.trim() === '') ? null : parseDate(s));
  def('datetime->string', 1, 1, (d) => { d = wantDate('datetime->string', d); return d && dateString(d, true); });
  def('unix-seconds', 1, 1, (d) => d === null ? null : Math.floor(parseDate(d).ms / 1000));
  const DAYS = 'Sunday Monday Tuesday Wednesday Thursday Friday Saturday'.split(' ');
  const MONTHS = 'January February March April May June July August September October November December'.split(' ');
  function isoWeek(f) {
    const t = new Date(Date.UTC(f.Y, f.m - 1, f.d));
    t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
    const y = t.getUTCFullYear();
    return [y, Math.ceil(((t - Date.UTC(y, 0, 1)) / 864e5 + 1) / 7)];
  }
  function strftime(d, fmt) {
    const f = fields(d);
    let out = '';
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i];
      if (c !== '%') { out += c; continue; }
      i++;
      let noPad = false;
      if (fmt[i] === '-') { noPad = true; i++; }
      if (i >= fmt.length) fail('format-date: format ends with a lone %');
      const num = (n, w, p) => noPad ? String(n) : pad(n, w, p);
      const h12 = f.H % 12 || 12;
      switch (fmt[i]) {
        case 'a': out += DAYS[f.w].slice(0, 3); break;
        case 'A': out += DAYS[f.w]; break;
        case 'b': case 'h': out += MONTHS[f.m - 1].slice(0, 3); break;
        case 'B': out += MONTHS[f.m - 1]; break;
        case 'c': out += strftime(d, '%a %b %e %H:%M:%S %Y'); break;
        case 'C': out += num(Math.floor(f.Y / 100), 2); break;
        case 'd': out += num(f.d, 2); break;
        case 'D': case 'x': out += strftime(d, '%m/%d/%y'); break;
        case 'e': out += num(f.d, 2, ' '); break;
        case 'f': out += num(Math.floor(d.ns / 1000), 6); break;
        case 'F': out += strftime(d, '%Y-%m-%d'); break;
        case 'G': out += num(isoWeek(f)[0], 4); break;
        case 'H': out += num(f.H, 2); break;
        case 'I': out += num(h12, 2); break;
        case 'j': out += num(f.j, 3); break;
        case 'k': out += num(f.H, 2, ' '); break;
        case 'l': out += num(h12, 2, ' '); break;
        case 'm': out += num(f.m, 2); break;
        case 'M': out += num(f.M, 2); break;
        case 'n': out += '\n'; break;
        case 'p': out += f.H < 12 ? 'AM' : 'PM'; break;
        case 'P': out += f.H < 12 ? 'am' : 'pm'; break;
        case 'R': out += strftime(d, '%H:%M'); break;
        case 's': out += Math.floor(d.ms / 1000); break;
        case 'S': out += num(f.S, 2); break;
        case 't': out += '\t'; break;
        case 'T': case 'X': out += strftime(d, '%H:%M:%S'); break;
        case 'u': out += num((f.w + 6) % 7 + 1, 1); break;
        case 'U': out += num(Math.floor((f.j - 1 + 7 - f.w) / 7), 2); break;
        case 'V': out += num(isoWeek(f)[1], 2); break;
        case 'w': out += num(f.w, 1); break;
        case 'W': out += num(Math.floor((f.j - 1 + 7 - (f.w + 6) % 7) / 7), 2); break;
        case 'y': out += num(f.Y % 100, 2); break;
        case 'Y': out += num(f.Y, 4); break;
        case 'z': out += d.off === 0 ? '+0000' : zone(d, false); break;
        case 'Z': out += d.off === 0 ? 'UTC' : zone(d, false); break;
        case '%': out += '%'; break;
        default: fail('format-date: unknown directive %' + fmt[i]);
      }
    }
    return out;
  }
  def('format-date', 2, 2, (d, fmt) => { d = wantDate('format-date', d); return d && strftime(d, want.str('format-date', fmt)); });

  const extreme = (name, a, sign) => {
    if (a.length === 1 && isList(a[0])) { if (!a[0].length) fail(name + ': empty list'); a = a[0]; }
    let best = want.num(name, a[0]);
    for (const v of a.slice(1)) { want.num(name, v); if (numCmp(name, v, best) === sign) best = v; }
    return best;
  };
  def('min', 1, -1, (...a) => extreme('min', a, -1));
  def('max', 1, -1, (...a) => extreme('max', a, 1));
  def('index-of', 2, 2, (c, x) => {
    if (typeof c === 'string') { const i = c.indexOf(want.str('index-of', x)); return i <= 0 ? i : chars(c.slice(0, i)).length; }
    if (isList(c)) return c.findIndex((it) => equal(it, x));
    if (c === null) return -1;
    fail('index-of expects a string or list, got ' + typeOf(c));
  });
  def('slice', 2, 3, (c, i, j) => {
    if (typeof c === 'string') return sliceOf('slice', chars(c), i, j).join('');
    if (isList(c) || c === null) return sliceOf('slice', c || [], i, j);
    fail('slice expects a string or list, got ' + typeOf(c));
  });
  def('reverse', 1, 1, (l) => typeof l === 'string' ? chars(l).reverse().join('') : want.items('reverse', l).slice().reverse());
  def('range', 1, 3, (a, b, c) => {
    let start = 0, end, step = 1;
    if (b === undefined) end = want.int('range', a);
    else { start = want.int('range', a); end = want.int('range', b); if (c !== undefined) step = want.int('range', c); }
    if (step === 0) fail('range: step must not be zero');
    const n = step > 0 ? Math.max(0, Math.ceil((end - start) / step)) : Math.max(0, Math.ceil((start - end) / -step));
    if (n > 10000000) fail('range: too many items (' + n + ')');
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = start + i * step;
    return out;
  });
  def('into', 2, 2, (to, from) => {
    if (isList(to) || to === null) return want.items('into', to).concat(want.items('into', from));
    if (to instanceof Map) {
      const d = new Map(to);
      if (from instanceof Map) for (const [k, v] of from) d.set(k, v);
      else if (isList(from) || from === null) {
        for (const it of from || []) {
          if (!isList(it) || it.length !== 2) fail('into expects (key value) pairs, got ' + print(it));
          d.set(want.key('into', it[0]), it[1]);
        }
      } else fail('into expects a dict or list to add, got ' + typeOf(from));
      return d;
    }
    fail('into expects a list or dict, got ' + typeOf(to));
  });
  const countArgs = (name, c, n) => {
    if (isList(n) || n === null) [c, n] = [n, c];
    const l = want.items(name, c);
    return [l, Math.max(0, Math.min(want.int(name, n), l.length))];
  };
  def('take', 2, 2, (c, n) => { const [l, k] = countArgs('take', c, n); return l.slice(0, k); });
  def('drop', 2, 2, (c, n) => { const [l, k] = countArgs('drop', c, n); return l.slice(k); });
  def('distinct', 1, 1, (l) => {
    const out = [];
    for (const x of want.items('distinct', l)) if (!out.some((y) => equal(x, y))) out.push(x);
    return out;
  });
  const sortCmp = (name, a, b) => {
    const ok = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string') || (a instanceof SxDate && b instanceof SxDate);
    if (!ok) fail(name + ': cannot compare ' + typeOf(a) + ' and ' + typeOf(b));
    return compare(name, a, b);
  };
  const sortKeys = (name, ks) => {
    if (ks.length === 1) sortCmp(name, ks[0][0], ks[0][0]);
    return ks.map((k, i) => [k[0], k[1], i]).sort((a, b) => sortCmp(name, a[0], b[0]) || a[2] - b[2]).map((k) => k[1]);
  };
  def('sort', 1, 1, (l) => sortKeys('sort', want.items('sort', l).map((x) => [x, x])));

  def('get-in', 2, 3, (c, path, d) => {
    for (const k of want.items('get-in', path)) { c = lookupIn('get-in', c, k, NONE); if (c === NONE) return dflt(d); }
    return c;
  });
  def('map-indexed', 2, 2, (f, c) => want.items('map-indexed', c).map((x, i) => apply(f, [i, x], null)));
  def('mapcat', 2, 2, (f, c) => {
    const out = [];
    for (const x of want.items('mapcat', c)) {
      const r = call1(f, x);
      if (isList(r)) out.push(...r);
      else if (r !== null) fail('mapcat expects the function to return lists, got ' + typeOf(r));
    }
    return out;
  });
  def('sort-by', 2, 2, (f, c) => sortKeys('sort-by', want.items('sort-by', c).map((x) => [call1(f, x), x])));

  def('abs', 1, 1, (n) => want.num('abs', n) instanceof Dec ? new Dec(n.c < 0n ? -n.c : n.c, n.s) : Math.abs(n));
  def('odd?', 1, 1, (n) => Math.abs(want.int('odd?', n) % 2) === 1);
  def('even?', 1, 1, (n) => want.int('even?', n) % 2 === 0);
  def('zero?', 1, 1, (n) => numCmp('zero?', want.num('zero?', n), 0) === 0);
  def('pos?', 1, 1, (n) => numCmp('pos?', want.num('pos?', n), 0) > 0);
  def('neg?', 1, 1, (n) => numCmp('neg?', want.num('neg?', n), 0) < 0);
  def('has-key?', 2, 2, (d, k) => { d = want.dict('has-key?', d); k = dictKey(k); return !!d && k !== null && d.has(k); });
  def('ends-with?', 2, 2, (s, p) => want.str('ends-with?', s).endsWith(want.str('ends-with?', p)));
  def('string-contains?', 2, 2, (s, p) => want.str('string-contains?', s).includes(want.str('string-contains?', p)));
  def('eq?', 2, 2, identical);
  def('eqv?', 2, 2, identical);
  def('equal?', 2, 2, (a, b) => equal(a, b));

  def('url-encode', 1, 1, (s) => encodeURIComponent(want.str('url-encode', s)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()));
  def('strip-tags', 1, 1, (s) => s === null ? '' : want.str('strip-tags', s).replace(/<[a-zA-Z/!?][^>]*>/g, ''));
  def('symbol-name', 1, 1, (s) => { if (!(s instanceof Sym)) fail('symbol-name expects a symbol, got ' + typeOf(s)); return s.name; });
  def('keyword-name', 1, 1, (k) => { if (k instanceof Kw) return k.name; if (typeof k === 'string') return k; fail('keyword-name expects a keyword, got ' + typeOf(k)); });
  def('repr', 1, 1, (x) => print(x));

  def('append!', 2, 2, (l, x) => { if (!isList(l)) fail('append! expects a list, got ' + typeOf(l)); l.push(x); return l; });
  def('vals', 1, 1, (d) => { d = want.dict('vals', d); return d ? [...d.values()] : []; });
  def('dissoc', 1, -1, (d, ...ks) => { const out = new Map(want.dict('dissoc', d) || []); for (const k of ks) out.delete(want.key('dissoc', k)); return out; });
  def('remove', 2, 2, (f, c) => want.items('remove', c).filter((x) => !truthy(call1(f, x))));
  def('some', 2, 2, (f, c) => { for (const x of want.items('some', c)) { const r = call1(f, x); if (truthy(r)) return r; } return null; });
  def('every?', 2, 2, (f, c) => { for (const x of want.items('every?', c)) if (!truthy(call1(f, x))) return false; return true; });
  def('find', 2, 2, (f, c) => { for (const x of want.items('find', c)) if (truthy(call1(f, x))) return x; return null; });
  def('identity', 1, 1, (x) => x);

  pred('boolean?', (x) => typeof x === 'boolean');
  pred('float?', (x) => typeof x === 'number' && !isInt(x));
  pred('symbol?', (x) => x instanceof Sym);
  pred('keyword?', (x) => x instanceof Kw);
  pred('datetime?', (x) => x instanceof SxDate);
  pred('lambda?', (x) => typeOf(x) === 'lambda');
  pred('fn?', (x) => typeOf(x) === 'lambda' || typeOf(x) === 'component');
  pred('component?', (x) => x instanceof Comp);
  pred('macro?', (x) => x instanceof Macro);
  def('second', 1, 1, (l) => { l = want.items('second', l); return l.length > 1 ? l[1] : null; });
  def('ceil', 1, 1, (x) => toInt('ceil', Math.ceil(want.num('ceil', x))));
  def('mod', 2, 2, (a, b) => {
    want.num('mod', a); want.num('mod', b);
    if (b === 0) fail('division by zero');
    let r = a % b;
    if (r !== 0 && (r < 0) !== (b < 0)) r += b;
    return r === 0 ? 0 : r;
  });
  def('floor', 1, 1, (x) => toInt('floor', Math.floor(want.num('floor', x))));
  def('sum', 1, 1, (l) => want.items('sum', l).reduce((a, x) => arith('+', a, x), 0));
  def('type-of', 1, 1, typeOf);
  def('cons', 2, 2, (x, l) => [x].concat(want.items('cons', l)));
  def('assert', 1, 2, (c, m) => { if (truthy(c)) return true; fail(m === undefined ? 'assertion failed' : toStr(m)); });

  // eval, macroexpand and render-to-html work in the environment being
  // evaluated in (root).
  def('eval', 1, 1, (f) => SX._.evNT(f, SX._.root));
  def('macroexpand', 1, 1, (f) => {
    if (!isList(f) || !f.length || !(f[0] instanceof Sym)) return f;
    const m = SX._.root[f[0].name];
    return m instanceof Macro ? SX._.callFn(m.fn, f.slice(1), SX._.posOf(f)) : f;
  });
  def('render-to-html', 1, 1, (f) => SX._.renderToString1(f, SX._.root));
  // print and println write to SX.output (the language scripts' tests
  // read it).
  def('print', 0, -1, (...a) => { SX.output.push(a.map(toStr).join(' ')); return null; });
  def('println', 0, -1, (...a) => { SX.output.push(a.map(toStr).join(' ') + '\n'); return null; });
  SX.ext = true;
  // sx.js's boot waits for this file when the page names it (data-sx-ext).
  const D = globalThis.document;
  if (D && D.readyState !== 'loading' && !SX.ready) SX.boot();
})(globalThis.SX);
