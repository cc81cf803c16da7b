/**
 * Character classes as sorted code point ranges (a flat `[lo0, hi0, lo1, hi1, ...]` array, like
 * Go's regexp/syntax), plus the Unicode data RE2 needs: general categories and scripts for
 * `\p{...}`, and simple case folding for `(?i)`.
 *
 * The Unicode data comes from the JS engine itself (ICU, via `\p{...}` with the `u` flag) and is
 * computed lazily, once per property: the translated regexes must avoid the `u` and `i` flags
 * (V8's linear-time engine refuses both), so every class is spelled out as explicit ranges.
 */

export const MAX_RUNE = 0x10ffff;

/** A class as sorted, non-overlapping, non-adjacent inclusive ranges `[lo, hi, lo, hi, ...]`. */
export type Ranges = number[];

/** Sorts and merges overlapping or adjacent ranges (in place), returning the cleaned array. */
export function cleanRanges(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** The complement of a clean class within [0, MAX_RUNE]. */
export function negateRanges(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i] > next) out.push(next, r[i] - 1);
    next = r[i + 1] + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

export function rangesContain(r: Ranges, c: number): boolean {
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < r[2 * mid]) hi = mid - 1;
    else if (c > r[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Perl and POSIX classes (ASCII only in RE2).

const ASCII_CLASSES: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

/** `[:name:]` contents; undefined for an unknown name. */
export function posixClass(name: string): Ranges | undefined {
  return Object.hasOwn(ASCII_CLASSES, name) ? ASCII_CLASSES[name] : undefined;
}

/** `\d \s \w` (RE2's `\s` is `[\t\n\f\r ]`: no `\v`). */
export const PERL_CLASSES: Record<string, Ranges> = {
  d: ASCII_CLASSES.digit,
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: ASCII_CLASSES.word,
};

// ---------------------------------------------------------------------------------------------
// Unicode properties for \p{...}.

/** Every code point except surrogates, in order: scanned once per property with a `u` regex. */
let allCodePoints: string | undefined;

function codePointAtIndex(i: number): number {
  // Index layout of allCodePoints: [0, 0xD800) one unit each, [0xE000, 0x10000) one unit each,
  // then astral code points two units each.
  if (i < 0xd800) return i;
  const bmpRest = 0x10000 - 0xe000;
  if (i < 0xd800 + bmpRest) return i + 0x800;
  return 0x10000 + ((i - 0xd800 - bmpRest) >> 1);
}

const propertyCache = new Map<string, Ranges>();

/** Ranges of a JS `\p{...}` expression (e.g. `\p{Script=Greek}`), computed once. */
function jsPropertyRanges(expr: string): Ranges {
  const cached = propertyCache.get(expr);
  if (cached) return cached;
  if (allCodePoints === undefined) {
    const parts: string[] = [];
    for (let c = 0; c <= MAX_RUNE; c += 0x1000) {
      const chunk: number[] = [];
      for (let d = c; d < c + 0x1000; d++) if (d < 0xd800 || d > 0xdfff) chunk.push(d);
      parts.push(String.fromCodePoint(...chunk));
    }
    allCodePoints = parts.join('');
  }
  const out: Ranges = [];
  const re = new RegExp(`[${expr}]+`, 'gu');
  for (let m = re.exec(allCodePoints); m !== null; m = re.exec(allCodePoints)) {
    const lo = codePointAtIndex(m.index);
    const hi = codePointAtIndex(m.index + m[0].length - 1);
    out.push(lo, hi);
  }
  const clean = cleanRanges(out);
  propertyCache.set(expr, clean);
  return clean;
}

const GENERAL_CATEGORIES = [
  'Cc', 'Cf', 'Co', 'Cs', 'Cn', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N',
  'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So',
  'Z', 'Zl', 'Zp', 'Zs',
];

/** Unicode's long names for general categories (Go's unicode.CategoryAliases). */
const CATEGORY_ALIASES: Record<string, string> = {
  Other: 'C', Control: 'Cc', cntrl: 'Cc', Format: 'Cf', Unassigned: 'Cn', Private_Use: 'Co',
  Surrogate: 'Cs', Letter: 'L', Cased_Letter: 'LC', Lowercase_Letter: 'Ll',
  Modifier_Letter: 'Lm', Other_Letter: 'Lo', Titlecase_Letter: 'Lt', Uppercase_Letter: 'Lu',
  Mark: 'M', Combining_Mark: 'M', Spacing_Mark: 'Mc', Enclosing_Mark: 'Me',
  Nonspacing_Mark: 'Mn', Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl',
  Other_Number: 'No', Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc',
  Dash_Punctuation: 'Pd', Close_Punctuation: 'Pe', Final_Punctuation: 'Pf',
  Initial_Punctuation: 'Pi', Other_Punctuation: 'Po', Open_Punctuation: 'Ps', Symbol: 'S',
  Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk', Math_Symbol: 'Sm', Other_Symbol: 'So',
  Separator: 'Z', Line_Separator: 'Zl', Paragraph_Separator: 'Zp', Space_Separator: 'Zs',
};

/** Script names Go's unicode.Scripts knows (Unicode 15). */
const SCRIPTS = (
  'Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak ' +
  'Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian ' +
  'Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot ' +
  'Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs ' +
  'Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi ' +
  'Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic ' +
  'Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana ' +
  'Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu ' +
  'Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen ' +
  'Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs ' +
  'Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa ' +
  'Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic ' +
  'Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic ' +
  'Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician ' +
  'Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting ' +
  'Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le ' +
  'Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta ' +
  'Toto Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square'
).split(' ');

/**
 * Go (1.25+) looks names up ignoring case, spaces, underscores and hyphens (Unicode TR18).
 * Its canonical form capitalises the first letter; plain lower case serves the same purpose.
 */
function canonicalName(name: string): string {
  return name.replace(/[ _-]/g, '').toLowerCase();
}

let unicodeNames: Map<string, string> | undefined;

/** Canonical name → JS class body that selects the same code points. */
function unicodeNameTable(): Map<string, string> {
  if (unicodeNames) return unicodeNames;
  const m = new Map<string, string>();
  for (const s of SCRIPTS) m.set(canonicalName(s), `\\p{Script=${s}}`);
  for (const c of GENERAL_CATEGORIES) m.set(canonicalName(c), `\\p{General_Category=${c}}`);
  // Go's C (Other) has no unassigned code points, unlike Unicode's and JS's.
  m.set('c', '\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}');
  m.set('lc', '\\p{Lu}\\p{Ll}\\p{Lt}');
  for (const [alias, cat] of Object.entries(CATEGORY_ALIASES)) {
    m.set(canonicalName(alias), m.get(canonicalName(cat)) as string);
  }
  unicodeNames = m;
  return m;
}

/** `\p{name}` contents (before any negation or folding); undefined for an unknown name. */
export function unicodeClass(name: string): Ranges | undefined {
  const key = canonicalName(name);
  switch (key) {
    case 'any':
      return [0, MAX_RUNE];
    case 'ascii':
      return [0, 0x7f];
    case 'assigned':
      return negateRanges(jsPropertyRanges('\\p{Cn}'));
  }
  const expr = unicodeNameTable().get(key);
  return expr === undefined ? undefined : jsPropertyRanges(expr);
}

// ---------------------------------------------------------------------------------------------
// Simple case folding (Go's unicode.SimpleFold orbits).

/** Smallest and largest code points that take part in case folding (as in Go). */
const MIN_FOLD = 0x41;
const MAX_FOLD = 0x1e943;

let foldOrbits: Map<number, number[]> | undefined;

/**
 * Orbits of simple case folding: code points equal under Unicode's simple case folding, which
 * is what both Go's (?i) and a JS `ui` regex use. Candidate pairs come from toLowerCase /
 * toUpperCase (single code point results only) and are kept only when a `ui` regex confirms
 * them, which drops pairs that differ in folding such as I/ı.
 */
function orbits(): Map<number, number[]> {
  if (foldOrbits) return foldOrbits;
  const parent = new Map<number, number>();
  const find = (c: number): number => {
    let r = c;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as number;
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  };
  for (let c = MIN_FOLD; c <= MAX_FOLD; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCodePoint(c);
    for (const mapped of [s.toLowerCase(), s.toUpperCase()]) {
      const d = mapped.codePointAt(0) as number;
      if (d === c || mapped.length !== String.fromCodePoint(d).length) continue;
      if (new RegExp(`^\\u{${c.toString(16)}}$`, 'ui').test(mapped)) {
        parent.set(c, parent.get(c) ?? c);
        parent.set(d, parent.get(d) ?? d);
        union(c, d);
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (const c of parent.keys()) {
    const root = find(c);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = []));
    g.push(c);
  }
  const m = new Map<number, number[]>();
  for (const g of groups.values()) {
    g.sort((a, b) => a - b);
    for (const c of g) m.set(c, g);
  }
  foldOrbits = m;
  return m;
}

/** The code points equal to `c` under case folding, `c` included, ascending. */
export function foldOrbit(c: number): readonly number[] {
  if (c < MIN_FOLD || c > MAX_FOLD) return [c];
  return orbits().get(c) ?? [c];
}

/** Adds every case-fold equivalent of the class's code points (Go's appendFoldedRange). */
export function foldRanges(r: Ranges): Ranges {
  const out: Ranges = r.slice();
  for (let i = 0; i < r.length; i += 2) {
    const lo = Math.max(r[i], MIN_FOLD);
    const hi = Math.min(r[i + 1], MAX_FOLD);
    if (lo > hi || (r[i] <= MIN_FOLD && r[i + 1] >= MAX_FOLD)) continue;
    for (let c = lo; c <= hi; c++) {
      const orbit = orbits().get(c);
      if (orbit) for (const f of orbit) if (f !== c) out.push(f, f);
    }
  }
  return cleanRanges(out);
}
