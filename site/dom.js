// @ts-check
/** Small DOM helpers: the page builds its elements with these, never with innerHTML. */

/**
 * Creates an element with attributes (`hidden: true` sets a boolean attribute, `false` or
 * `undefined` leaves it out) and children (strings become text nodes).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | undefined>} [attributes]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/**
 * The element with this id, of the expected class; throws if the page lacks it.
 * @template {typeof HTMLElement} T
 * @param {string} id
 * @param {T} type
 * @returns {InstanceType<T>}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return /** @type {InstanceType<T>} */ (element);
}

/**
 * Shows `message` in a text element, or hides it when empty.
 * @param {HTMLElement} element
 * @param {string} message
 */
export function setMessage(element, message) {
  element.textContent = message;
  element.hidden = message === "";
}

/**
 * A timestamp for people: local date and time, with the ISO value kept in `datetime`.
 * @param {string | undefined} iso
 * @returns {HTMLTimeElement | string}
 */
export function timeElement(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return el("time", { datetime: iso, title: iso }, date.toLocaleString());
}

/**
 * What an error says, for a person: its message, or the thrown value as text.
 * @param {unknown} error
 */
export function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
