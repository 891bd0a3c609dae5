// Times come from the API in UTC (ISO 8601); the page shows them in the viewer's time zone, with the zone named.

const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const MONTH = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
const SHORT_MONTH = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });

export function formatDateTime(iso) {
  return iso ? DATE_TIME.format(new Date(iso)) : "–";
}

// A calendar date ("2026-11-01"), shown as that day whatever the viewer's zone.
export function formatDate(isoDate) {
  return isoDate ? DATE.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`)) : "–";
}

export function formatMonth(isoDate) {
  return MONTH.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`));
}

// "2026-11" as "Nov 2026" (chart labels).
export function formatShortMonth(month) {
  return SHORT_MONTH.format(new Date(`${month}-01T00:00:00Z`));
}

// "2026-11" of a Date, in UTC (billing months are UTC months).
export function monthOf(date) {
  return date.toISOString().slice(0, 7);
}

export function addMonths(month, count) {
  const [year, number] = month.split("-").map(Number);
  const moved = new Date(Date.UTC(year, number - 1 + count, 1));
  return monthOf(moved);
}

// Every month from `first` to `last` ("2026-01", ...), both included; empty when `first` is after `last`.
export function monthsFrom(first, last) {
  const months = [];
  for (let month = first; month <= last; month = addMonths(month, 1)) months.push(month);
  return months;
}

// A duration in seconds as "3 h 20 min" / "2 d 4 h".
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const total = Math.round(Math.abs(seconds) / 60);
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  const parts = days ? [`${days} d`, hours ? `${hours} h` : ""] : hours ? [`${hours} h`, minutes ? `${minutes} min` : ""] : [`${minutes} min`];
  return parts.filter(Boolean).join(" ");
}
