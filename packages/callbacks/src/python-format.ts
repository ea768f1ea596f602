/**
 * Python's `str.format` for checkpoint file names, so `'{epoch:02d}-{val_loss:.2f}.keras'` gives the
 * same name in Strata as in Keras. The types follow Python's: a `number` is a float, a `bigint` an int,
 * a `string` a str and a `boolean` a bool. Floats are rounded exactly as Python rounds them (round half
 * to even on the exact binary value), which `toFixed` does not do.
 *
 * Supported: named fields, `{{`/`}}`, conversions `!r`/`!s`/`!a`, nested fields in a spec, and the
 * whole format-spec mini-language: fill, align (`<>=^`), sign (`+- `), `z`, `#`, `0`, width, grouping
 * (`,` `_`), precision and the types `b c d o x X e E f F g G n %` and `s`.
 */
import { IndexError, KeyError, ValueError } from '@strata/core';

/** A Python value: `number` is a float, `bigint` an int, `string` a str, `boolean` a bool. */
export type PyValue = number | bigint | string | boolean;

/** `template.format(**kwargs)`, as Python computes it. */
export function formatPython(template: string, kwargs: Record<string, PyValue>): string {
  let out = '';
  let i = 0;
  let autoIndex = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '}') {
      if (template[i + 1] !== '}') throw new ValueError("Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    // A replacement field runs to the '}' that closes it; braces inside its spec nest.
    let depth = 1;
    let j = i + 1;
    while (j < template.length && depth > 0) {
      if (template[j] === '{') depth++;
      else if (template[j] === '}') depth--;
      if (depth > 0) j++;
    }
    if (depth > 0) {
      throw new ValueError(
        j === i + 1 ? "Single '{' encountered in format string" : "expected '}' before end of string",
      );
    }
    out += replaceField(template.slice(i + 1, j), kwargs, () => autoIndex++);
    i = j + 1;
  }
  return out;
}

function replaceField(field: string, kwargs: Record<string, PyValue>, nextAuto: () => number): string {
  let name = field;
  let spec = '';
  let conversion: string | null = null;
  // The field name ends at the first '!' or ':' outside brackets.
  const end = field.search(/[!:]/);
  if (end >= 0) {
    name = field.slice(0, end);
    let rest = field.slice(end);
    if (rest[0] === '!') {
      conversion = rest[1] ?? '';
      rest = rest.slice(2);
      if (rest !== '' && rest[0] !== ':') {
        throw new ValueError("expected ':' after conversion specifier");
      }
      if (!['r', 's', 'a'].includes(conversion)) {
        throw new ValueError(`Unknown conversion specifier ${conversion || '\\x00'}`);
      }
    }
    spec = rest.startsWith(':') ? rest.slice(1) : '';
  }
  if (name === '' || /^\d+$/.test(name)) {
    const index = name === '' ? nextAuto() : Number(name);
    throw new IndexError(`Replacement index ${index} out of range for positional args tuple`);
  }
  if (/[.[]/.test(name)) {
    throw new ValueError(
      `Attribute and index lookups in format fields are not supported. Received: field '{${field}}'`,
    );
  }
  if (!Object.hasOwn(kwargs, name)) throw new KeyError(name);
  let value: PyValue = kwargs[name];
  if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
  else if (conversion === 's') value = pyStr(value);
  if (spec.includes('{')) spec = formatPython(spec, kwargs);
  return formatValue(value, spec);
}

/** Python's `str(value)`. */
export function pyStr(value: PyValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  return pyFloatRepr(value);
}

/** Python's `repr(value)`. */
export function pyRepr(value: PyValue): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return pyStr(value);
}

/** Python's `repr(float)`: the shortest digits that read back exactly, laid out as Python does. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const [mantissa, expPart] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) return sign + scientific(digits, exp, false);
  const fixed = digitsToFixed(digits, exp);
  return sign + (fixed.includes('.') ? fixed : `${fixed}.0`);
}

interface Spec {
  fill: string;
  align: string | null;
  /** null when the spec has no sign (numbers then show '-' only). */
  sign: string | null;
  z: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | null;
  type: string;
}

const SPEC_RE = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/;

function typeName(value: PyValue): string {
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'bigint' ? 'int' : 'float';
}

function parseSpec(spec: string, value: PyValue): Spec {
  const m = SPEC_RE.exec(spec);
  if (!m) throw new ValueError(`Invalid format specifier '${spec}' for object of type '${typeName(value)}'`);
  return {
    fill: m[1] ?? ' ',
    align: m[2] ?? null,
    sign: m[3] ?? null,
    z: m[4] !== undefined,
    alt: m[5] !== undefined,
    zero: m[6] !== undefined,
    width: m[7] ? Number(m[7]) : 0,
    grouping: m[8] ?? '',
    precision: m[9] !== undefined ? Number(m[9]) : null,
    type: m[10] ?? '',
  };
}

/** Python's `format(value, spec)`. */
export function formatValue(value: PyValue, spec: string): string {
  if (spec === '') return pyStr(value);
  const s = parseSpec(spec, value);
  if (typeof value === 'string') return formatString(value, s);
  if (typeof value === 'boolean') {
    if (s.type === '' || s.type === 's') return formatString(pyStr(value), { ...s, type: '' });
    return formatValue(value ? 1n : 0n, spec);
  }
  if (typeof value === 'bigint') {
    if ('eEfFgG%'.includes(s.type) && s.type !== '') return formatFloat(Number(value), s);
    return formatInt(value, s);
  }
  return formatFloat(value, s);
}

function formatString(value: string, s: Spec): string {
  if (s.type !== '' && s.type !== 's') throw unknownCode(s.type, 'str');
  if (s.sign !== null) throw new ValueError('Sign not allowed in string format specifier');
  if (s.alt) throw new ValueError('Alternate form (#) not allowed in string format specifier');
  if (s.grouping) throw new ValueError(`Cannot specify '${s.grouping}' with 's'.`);
  if (s.align === '=') throw new ValueError("'=' alignment not allowed in string format specifier");
  const text = s.precision !== null ? [...value].slice(0, s.precision).join('') : value;
  const fill = s.align === null && s.zero ? '0' : s.fill;
  return pad('', text, s.width, fill, s.align ?? '<');
}

function unknownCode(type: string, of: string): ValueError {
  return new ValueError(`Unknown format code '${type}' for object of type '${of}'`);
}

function formatInt(value: bigint, s: Spec): string {
  if (s.type !== '' && !'bcdoxXn'.includes(s.type)) throw unknownCode(s.type, 'int');
  if (s.precision !== null) throw new ValueError('Precision not allowed in integer format specifier');
  const negative = value < 0n;
  const abs = negative ? -value : value;
  let body: string;
  let prefix = '';
  switch (s.type) {
    case 'b':
      body = abs.toString(2);
      prefix = s.alt ? '0b' : '';
      break;
    case 'o':
      body = abs.toString(8);
      prefix = s.alt ? '0o' : '';
      break;
    case 'x':
      body = abs.toString(16);
      prefix = s.alt ? '0x' : '';
      break;
    case 'X':
      body = abs.toString(16).toUpperCase();
      prefix = s.alt ? '0X' : '';
      break;
    case 'c':
      if (s.sign !== null) throw new ValueError("Sign not allowed with integer format specifier 'c'");
      return pad('', String.fromCodePoint(Number(value)), s.width, s.fill, s.align ?? '<');
    default:
      body = abs.toString();
  }
  const radix = s.type !== '' && 'boxX'.includes(s.type);
  if (s.grouping === ',' && (radix || s.type === 'n'))
    throw new ValueError(`Cannot specify ',' with '${s.type}'.`);
  if (s.grouping) body = group(body, s.grouping, radix ? 4 : 3);
  return finishNumber(negative, prefix + body, s, prefix.length);
}

function formatFloat(x: number, s: Spec): string {
  if (s.type !== '' && !'eEfFgGn%'.includes(s.type)) throw unknownCode(s.type, 'float');
  const upper = s.type === 'E' || s.type === 'F' || s.type === 'G';
  let negative = x < 0 || Object.is(x, -0);
  let body: string;
  if (!Number.isFinite(x)) {
    body = Number.isNaN(x) ? 'nan' : 'inf';
    if (Number.isNaN(x)) negative = false;
  } else {
    const abs = Math.abs(x);
    switch (s.type) {
      case 'f':
      case 'F':
        body = fixed(abs, s.precision ?? 6, s.alt);
        break;
      case '%':
        body = `${fixed(Math.abs(x * 100), s.precision ?? 6, s.alt)}%`;
        break;
      case 'e':
      case 'E':
        body = exponential(abs, s.precision ?? 6, s.alt);
        break;
      case 'g':
      case 'G':
      case 'n':
        body = general(abs, s.precision ?? 6, s.alt, false);
        break;
      default:
        body = s.precision === null ? pyFloatRepr(abs) : general(abs, s.precision, s.alt, true);
    }
    if (s.z && negative && !/[1-9]/.test(body.replace(/e.*$/, ''))) negative = false;
  }
  if (upper) body = body.toUpperCase();
  if (s.grouping) {
    const m = /^(\d+)(.*)$/.exec(body);
    if (m) body = group(m[1], s.grouping, 3) + m[2];
  }
  return finishNumber(negative, body, s, 0);
}

/** Sign, then padding: '=' (and the '0' flag) pads between the sign (and prefix) and the digits. */
function finishNumber(negative: boolean, body: string, s: Spec, prefixLength: number): string {
  const sign = negative ? '-' : s.sign === '+' ? '+' : s.sign === ' ' ? ' ' : '';
  let align = s.align;
  let fill = s.fill;
  if (align === null) {
    align = s.zero ? '=' : '>';
    if (s.zero) fill = '0';
  }
  if (align === '=') {
    const lead = sign + body.slice(0, prefixLength);
    return pad(lead, body.slice(prefixLength), s.width, fill, '=');
  }
  return pad('', sign + body, s.width, fill, align);
}

function pad(lead: string, text: string, width: number, fill: string, align: string): string {
  const length = [...lead].length + [...text].length;
  const room = width - length;
  if (room <= 0) return lead + text;
  if (align === '<') return lead + text + fill.repeat(room);
  if (align === '^') {
    const left = Math.floor(room / 2);
    return fill.repeat(left) + lead + text + fill.repeat(room - left);
  }
  if (align === '=') return lead + fill.repeat(room) + text;
  return fill.repeat(room) + lead + text;
}

function group(digits: string, sep: string, size: number): string {
  let out = '';
  for (let i = digits.length; i > 0; i -= size) {
    const part = digits.slice(Math.max(0, i - size), i);
    out = out ? `${part}${sep}${out}` : part;
  }
  return out;
}

// ---- exact decimal arithmetic on doubles --------------------------------------------------------------

/** The exact value of a finite, non-negative double as `digits / 10^scale`. */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  if (x === 0) return { digits: 0n, scale: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2: number;
  if (biased === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return { digits: mantissa << BigInt(exp2), scale: 0 };
  return { digits: mantissa * 5n ** BigInt(-exp2), scale: -exp2 };
}

/** `n / 10^k` rounded half to even. */
function divRoundHalfEven(n: bigint, k: number): bigint {
  if (k <= 0) return n * 10n ** BigInt(-k);
  const d = 10n ** BigInt(k);
  const q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) return q + 1n;
  return q;
}

/** `x` with `precision` decimals, as Python's 'f'. */
function fixed(x: number, precision: number, alt: boolean): string {
  const { digits, scale } = exactDecimal(x);
  const n = divRoundHalfEven(digits, scale - precision)
    .toString()
    .padStart(precision + 1, '0');
  if (precision === 0) return alt ? `${n}.` : n;
  return `${n.slice(0, n.length - precision)}.${n.slice(n.length - precision)}`;
}

/** `x` rounded to `count` significant digits: the digit string and the decimal exponent of its first digit. */
function significant(x: number, count: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(count), exp: 0 };
  const { digits, scale } = exactDecimal(x);
  const length = digits.toString().length;
  let shift = length - count;
  let q = divRoundHalfEven(digits, shift);
  if (q.toString().length > count) {
    // Rounding carried into a new digit (9.99 -> 10.0): drop the trailing zero.
    q /= 10n;
    shift++;
  }
  return { digits: q.toString(), exp: count - 1 + shift - scale };
}

function scientific(digits: string, exp: number, alt: boolean): string {
  const mantissa = digits.length > 1 || alt ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
}

/** The digits `d.ddd × 10^exp` written without an exponent. */
function digitsToFixed(digits: string, exp: number): string {
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLength = exp + 1;
  if (digits.length <= intLength) return digits + '0'.repeat(intLength - digits.length);
  return `${digits.slice(0, intLength)}.${digits.slice(intLength)}`;
}

/** `x` as Python's 'e' with `precision` decimals. */
function exponential(x: number, precision: number, alt: boolean): string {
  const { digits, exp } = significant(x, precision + 1);
  return scientific(digits, exp, alt);
}

/**
 * Python's 'g' (and, with `addDot0`, the spec with a precision and no type): round to `precision`
 * significant digits, then fixed notation unless the exponent is below -4 or too large, and drop
 * trailing zeros unless '#'.
 */
function general(x: number, precision: number, alt: boolean, addDot0: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const { digits, exp } = significant(x, p);
  const limit = addDot0 ? p - 1 : p;
  let kept = alt ? digits : digits.replace(/0+$/, '') || '0';
  if (exp < -4 || exp >= limit) {
    if (x === 0) kept = alt ? digits : '0';
    return scientific(kept, exp, alt);
  }
  let text = digitsToFixed(kept, exp);
  if (alt && !text.includes('.')) text += '.';
  if (addDot0 && !text.includes('.')) text += '.0';
  return text;
}
