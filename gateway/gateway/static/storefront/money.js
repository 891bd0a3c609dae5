// Money as the API sends it: decimal strings. Arithmetic is exact (BigInt on scaled integers); a Number is made
// only for a chart's geometry, never for a figure shown as text.

const ZERO_DECIMAL = new Set(["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"]);

export function minorDigits(currency) {
  return ZERO_DECIMAL.has(currency) ? 0 : 2;
}

// "1234.5" -> { units: 12345n, scale: 1 }
export function parseDecimal(text) {
  const value = String(text ?? "0").trim() || "0";
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value);
  if (!match) throw new Error(`not a decimal: ${value}`);
  const [, sign, whole, fraction = ""] = match;
  const units = BigInt(`${whole || "0"}${fraction}`) * (sign === "-" ? -1n : 1n);
  return { units, scale: fraction.length };
}

function rescale({ units, scale }, target) {
  if (target >= scale) return units * 10n ** BigInt(target - scale);
  const divisor = 10n ** BigInt(scale - target);
  const half = divisor / 2n;
  const magnitude = units < 0n ? -units : units;
  const rounded = (magnitude + half) / divisor; // ROUND_HALF_UP, as the services round
  return units < 0n ? -rounded : rounded;
}

function toText(units, scale) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

// a x b rounded half up to `scale` digits, as a decimal string.
export function multiply(a, b, scale) {
  const left = parseDecimal(a);
  const right = parseDecimal(b);
  const product = { units: left.units * right.units, scale: left.scale + right.scale };
  return toText(rescale(product, scale), scale);
}

// amount x part / whole rounded half up to `scale` digits (a customer's share of a line); null when whole is zero.
export function share(amount, part, whole, scale) {
  const a = parseDecimal(amount);
  const p = parseDecimal(part);
  const w = parseDecimal(whole);
  if (w.units === 0n) return null;
  // amount x part / whole = (a.units x p.units x 10^w.scale) / (w.units x 10^(a.scale + p.scale)); scaled to `scale`.
  let top = a.units * p.units * 10n ** BigInt(w.scale + scale);
  let bottom = w.units * 10n ** BigInt(a.scale + p.scale);
  if (bottom < 0n) [top, bottom] = [-top, -bottom];
  const magnitude = top < 0n ? -top : top;
  const rounded = (2n * magnitude + bottom) / (2n * bottom); // ROUND_HALF_UP
  return toText(top < 0n ? -rounded : rounded, scale);
}

export function add(a, b) {
  const left = parseDecimal(a);
  const right = parseDecimal(b);
  const scale = Math.max(left.scale, right.scale);
  return toText(rescale(left, scale) + rescale(right, scale), scale);
}

export function compare(a, b) {
  const left = parseDecimal(a);
  const right = parseDecimal(b);
  const scale = Math.max(left.scale, right.scale);
  const difference = rescale(left, scale) - rescale(right, scale);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

// part / whole in percent with one decimal ("37.5"); null when whole is zero.
export function percent(part, whole) {
  const numerator = parseDecimal(part);
  const denominator = parseDecimal(whole);
  const scale = Math.max(numerator.scale, denominator.scale);
  const top = rescale(numerator, scale);
  const bottom = rescale(denominator, scale);
  if (bottom === 0n) return null;
  const negative = (top < 0n) !== (bottom < 0n);
  const above = top < 0n ? -top : top;
  const below = bottom < 0n ? -bottom : bottom;
  const tenths = (above * 2000n + below) / (2n * below); // tenths of a percent, half up
  return toText(negative && tenths !== 0n ? -tenths : tenths, 1);
}

function group(whole) {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// "1000" -> "1,000.00" (USD) or "1,000" (JPY); never rounds away digits a unit price carries.
export function formatAmount(text, currency) {
  if (text === null || text === undefined || text === "") return "–";
  const { units, scale } = parseDecimal(text);
  const shown = Math.max(scale, currency ? minorDigits(currency) : 0);
  const plain = toText(rescale({ units, scale }, shown), shown);
  const negative = plain.startsWith("-");
  const [whole, fraction] = (negative ? plain.slice(1) : plain).split(".");
  return `${negative ? "−" : ""}${group(whole)}${fraction ? `.${fraction}` : ""}`;
}

export function formatMoney(text, currency) {
  return `${formatAmount(text, currency)} ${currency}`;
}

export function formatQuantity(text) {
  return formatAmount(text, null);
}

// For chart geometry only.
export function chartNumber(text) {
  return Number(text || 0);
}
