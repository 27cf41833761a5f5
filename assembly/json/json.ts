// A strict, bounded JSON reader for control lines: objects, strings, integers, booleans and
// null (no floats, no exponents: no control field needs them). Depth, key count and string
// length are bounded; anything outside the grammar is an error naming the byte offset.

export const J_NULL: i32 = 0;
export const J_BOOL: i32 = 1;
export const J_INT: i32 = 2;
export const J_STRING: i32 = 3;
export const J_OBJECT: i32 = 4;
export const J_ARRAY: i32 = 5;

const MAX_DEPTH: i32 = 4;
const MAX_KEYS: i32 = 16;
const MAX_ITEMS: i32 = 32;

export class JValue {
  kind: i32 = J_NULL;
  b: bool = false;
  n: i64 = 0;
  s: string = "";
  keys: string[] = [];
  vals: JValue[] = [];

  get(key: string): JValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.vals[i];
    return null;
  }

  has(key: string): bool {
    return this.keys.includes(key);
  }
}

/** Either a value or an error text (`<what> at <offset>`). */
export class JResult {
  constructor(public value: JValue | null, public error: string) {}
}

class Reader {
  i: i32 = 0;
  err: string = "";
  constructor(public t: string) {}

  fail(what: string): JValue | null {
    if (this.err.length == 0) this.err = what + " at " + this.i.toString();
    return null;
  }

  ws(): void {
    while (this.i < this.t.length) {
      const c = this.t.charCodeAt(this.i);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.i++;
    }
  }

  value(depth: i32): JValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    this.ws();
    if (this.i >= this.t.length) return this.fail("unexpected end");
    const c = this.t.charCodeAt(this.i);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s == null) return null;
      const v = new JValue();
      v.kind = J_STRING;
      v.s = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) return boolValue(true);
    if (this.word("false")) return boolValue(false);
    if (this.word("null")) return new JValue();
    return this.fail("unexpected character");
  }

  word(w: string): bool {
    if (this.t.substr(this.i, w.length) != w) return false;
    this.i += w.length;
    return true;
  }

  number(): JValue | null {
    const start = this.i;
    if (this.t.charCodeAt(this.i) == 0x2d) this.i++;
    const digits = this.i;
    while (this.i < this.t.length) {
      const c = this.t.charCodeAt(this.i);
      if (c < 0x30 || c > 0x39) break;
      this.i++;
    }
    const n = this.i - digits;
    if (n == 0) return this.fail("expected a digit");
    if (n > 1 && this.t.charCodeAt(digits) == 0x30) return this.fail("leading zero");
    if (n > 15) return this.fail("integer too large");
    if (this.i < this.t.length) {
      const c = this.t.charCodeAt(this.i);
      if (c == 0x2e || c == 0x65 || c == 0x45) return this.fail("only integers are accepted");
    }
    const v = new JValue();
    v.kind = J_INT;
    v.n = I64.parseInt(this.t.substring(start, this.i));
    return v;
  }

  /**
   * A string literal. One scan finds its end and its escapes; the value is then one substring
   * (no escapes) or written once into a buffer of its exact size. Building it with `+=` per
   * escape was quadratic: a 4 KB line of `\n` escapes made megabytes of garbage (issue 10).
   */
  string(): string | null {
    this.i++; // opening quote
    const start = this.i;
    let escapes = 0;
    while (this.i < this.t.length) {
      const c = this.t.charCodeAt(this.i);
      if (c == 0x22) break;
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c == 0x5c) {
        this.i++;
        if (this.i >= this.t.length) break;
        const e = this.t.charCodeAt(this.i);
        // \u escapes would let a control line smuggle NUL or surrogates past path checks.
        if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x6e && e != 0x74 && e != 0x72 && e != 0x62 && e != 0x66) {
          this.fail("unsupported escape");
          return null;
        }
        escapes++;
      }
      this.i++;
    }
    if (this.i >= this.t.length) {
      this.fail("unterminated string");
      return null;
    }
    const end = this.i;
    this.i++; // closing quote
    if (escapes == 0) return this.t.substring(start, end);
    const n = end - start - escapes;
    const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
    const src = changetype<usize>(this.t);
    const dst = changetype<usize>(out);
    let k = 0;
    for (let j = start; j < end; j++) {
      let c = load<u16>(src + (<usize>j << 1));
      if (c == 0x5c) {
        j++;
        const e = load<u16>(src + (<usize>j << 1));
        c = e == 0x6e ? 0x0a : e == 0x74 ? 0x09 : e == 0x72 ? 0x0d : e == 0x62 ? 0x08 : e == 0x66 ? 0x0c : e;
      }
      store<u16>(dst + (<usize>k << 1), c);
      k++;
    }
    return out;
  }

  object(depth: i32): JValue | null {
    this.i++;
    const v = new JValue();
    v.kind = J_OBJECT;
    this.ws();
    if (this.i < this.t.length && this.t.charCodeAt(this.i) == 0x7d) {
      this.i++;
      return v;
    }
    for (;;) {
      this.ws();
      if (this.i >= this.t.length || this.t.charCodeAt(this.i) != 0x22) return this.fail("expected a key");
      const k = this.string();
      if (k == null) return null;
      if (v.keys.includes(k)) return this.fail("duplicate key " + k);
      if (v.keys.length >= MAX_KEYS) return this.fail("too many keys");
      this.ws();
      if (this.i >= this.t.length || this.t.charCodeAt(this.i) != 0x3a) return this.fail("expected ':'");
      this.i++;
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.keys.push(k);
      v.vals.push(item);
      this.ws();
      if (this.i >= this.t.length) return this.fail("unexpected end");
      const c = this.t.charCodeAt(this.i);
      this.i++;
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected ',' or '}'");
    }
    return null; // not reached: the loop only exits by returning
  }

  array(depth: i32): JValue | null {
    this.i++;
    const v = new JValue();
    v.kind = J_ARRAY;
    this.ws();
    if (this.i < this.t.length && this.t.charCodeAt(this.i) == 0x5d) {
      this.i++;
      return v;
    }
    for (;;) {
      if (v.vals.length >= MAX_ITEMS) return this.fail("too many items");
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.vals.push(item);
      this.ws();
      if (this.i >= this.t.length) return this.fail("unexpected end");
      const c = this.t.charCodeAt(this.i);
      this.i++;
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
    }
    return null; // not reached: the loop only exits by returning
  }
}

function boolValue(b: bool): JValue {
  const v = new JValue();
  v.kind = J_BOOL;
  v.b = b;
  return v;
}

export function parseJson(text: string): JResult {
  const r = new Reader(text);
  const v = r.value(0);
  if (v == null) return new JResult(null, r.err);
  r.ws();
  if (r.i != text.length) return new JResult(null, "trailing characters at " + r.i.toString());
  return new JResult(v, "");
}

/** Checks that an object has only `allowed` keys; returns the first unknown one or "". */
export function unknownKey(v: JValue, allowed: string[]): string {
  for (let i = 0; i < v.keys.length; i++) if (!allowed.includes(v.keys[i])) return v.keys[i];
  return "";
}

/**
 * `s` as a JSON string literal, quotes included: `"` and `\\` escaped, LF as `\n`, every other
 * control character as a space (so a record is always one line). Two passes over `s`, one
 * allocation of the exact size: linear in the input whatever it holds.
 */
export function jsonQuote(s: string): string {
  const n = s.length;
  const src = changetype<usize>(s);
  let extra = 0;
  for (let i = 0; i < n; i++) {
    const c = load<u16>(src + (<usize>i << 1));
    if (c == 0x22 || c == 0x5c || c == 0x0a) extra++;
  }
  const len = n + extra + 2;
  const out = changetype<string>(__new(<usize>len << 1, idof<string>()));
  const dst = changetype<usize>(out);
  store<u16>(dst, 0x22);
  let k: usize = 1;
  for (let i = 0; i < n; i++) {
    let c = load<u16>(src + (<usize>i << 1));
    if (c == 0x22 || c == 0x5c) {
      store<u16>(dst + (k << 1), 0x5c);
      k++;
    } else if (c == 0x0a) {
      store<u16>(dst + (k << 1), 0x5c);
      k++;
      c = 0x6e;
    } else if (c < 0x20) c = 0x20;
    store<u16>(dst + (k << 1), c);
    k++;
  }
  store<u16>(dst + (k << 1), 0x22);
  return out;
}
