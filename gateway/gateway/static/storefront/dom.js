// Building the page's elements and tables without innerHTML (every text from the API stays text).

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// columns: [{ label, numeric }]; rows: arrays of cells (text or Nodes); footer rows are emphasised.
export function fillTable(table, { caption, columns, rows, footer = [], empty = "Nothing yet." }) {
  table.replaceChildren();
  if (caption) table.append(el("caption", { className: "visually-hidden", text: caption }));
  const head = el("tr", {}, columns.map((column) => el("th", { scope: "col", className: column.numeric ? "num" : null }, column.label)));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  if (!rows.length) {
    body.append(el("tr", {}, el("td", { colspan: String(columns.length), className: "empty" }, empty)));
  }
  for (const row of rows) body.append(tableRow(row, columns, "td"));
  table.append(body);
  if (footer.length) table.append(el("tfoot", {}, footer.map((row) => tableRow(row, columns, "td"))));
}

function tableRow(cells, columns, cellTag) {
  return el(
    "tr",
    {},
    cells.map((cell, index) => {
      const numeric = columns[index]?.numeric;
      const tag = index === 0 && cellTag === "td" ? "th" : cellTag;
      return el(tag, { scope: tag === "th" ? "row" : null, className: numeric ? "num" : null }, cell);
    }),
  );
}

export function definitionList(pairs) {
  return el("dl", { className: "facts" }, pairs.map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value))));
}

export function badge(text, kind) {
  return el("span", { className: `badge badge-${kind}` }, text);
}
