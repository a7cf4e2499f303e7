// SVG building blocks shared by the charts (hand-drawn: no chart library, no build step).

export const NS = "http://www.w3.org/2000/svg";

// One SVG element; text from the API goes in as text content, never as markup.
export function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

// A label cut to `max` characters (the full text stays in a <title> tooltip).
export function clipped(text, max) {
  const value = String(text);
  return value.length > max ? value.slice(0, max - 1) + "…" : value;
}
