// @ts-check
import { el } from "./dom.js";

/**
 * The payload form of a job type, built from its JSON Schema (string, integer, number, boolean,
 * enum; anything else as JSON text) with the example prefilled. Validation is the API's: the
 * form reads what was typed and shows the API's field errors next to each field.
 *
 * @typedef {import("./api.js").PayloadSchema} PayloadSchema
 * @typedef {import("./api.js").PropertySchema} PropertySchema
 * @typedef {import("./api.js").FieldError} FieldError
 * @typedef {{ name: string, schema: PropertySchema, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, kind: Kind, error: HTMLElement }} Field
 * @typedef {"string" | "text" | "integer" | "number" | "boolean" | "enum" | "json"} Kind
 */

/** Longer strings get a text area. */
const TEXTAREA_FROM_LENGTH = 200;

export class SchemaForm {
  /**
   * @param {HTMLElement} container where the fields go (emptied first)
   * @param {PayloadSchema} schema
   * @param {unknown} example
   */
  constructor(container, schema, example) {
    /** @type {Field[]} */
    this.fields = [];
    container.replaceChildren();
    const required = new Set(schema.required ?? []);
    const values = example && typeof example === "object" ? /** @type {Record<string, unknown>} */ (example) : {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const field = createField(name, property, required.has(name), values[name]);
      this.fields.push(field);
      container.append(field.control.closest(".field") ?? field.control);
    }
  }

  /**
   * The payload as typed. An empty number is left out, so the API names the missing field.
   * @returns {{ payload: Record<string, unknown>, errors: FieldError[] }}
   */
  read() {
    /** @type {Record<string, unknown>} */
    const payload = {};
    /** @type {FieldError[]} */
    const errors = [];
    for (const field of this.fields) {
      const { control, kind, name } = field;
      if (kind === "boolean" && control instanceof HTMLInputElement) {
        payload[name] = control.checked;
      } else if (kind === "integer" || kind === "number") {
        if (control.value.trim() !== "") payload[name] = Number(control.value);
      } else if (kind === "enum") {
        const option = field.schema.enum?.[Number(control.value)];
        if (option !== undefined) payload[name] = option;
      } else if (kind === "json") {
        if (control.value.trim() === "") continue;
        try {
          payload[name] = JSON.parse(control.value);
        } catch {
          errors.push({ path: `payload.${name}`, message: `${name} must be valid JSON` });
        }
      } else {
        payload[name] = control.value;
      }
    }
    return { payload, errors };
  }

  /**
   * Shows each error next to its field (paths like `payload.text`); returns those that name
   * no field of this form, for the caller to show elsewhere.
   * @param {FieldError[]} errors
   * @returns {FieldError[]}
   */
  showErrors(errors) {
    this.clearErrors();
    /** @type {FieldError[]} */
    const unplaced = [];
    /** @type {Map<Field, string[]>} */
    const byField = new Map();
    for (const error of errors) {
      const name = error.path.startsWith("payload.") ? error.path.slice("payload.".length).split(".")[0] : undefined;
      const field = this.fields.find((candidate) => candidate.name === name);
      if (!field) {
        unplaced.push(error);
        continue;
      }
      byField.set(field, [...(byField.get(field) ?? []), error.message]);
    }
    for (const [field, messages] of byField) {
      field.error.textContent = messages.join("; ");
      field.error.hidden = false;
      field.control.setAttribute("aria-invalid", "true");
    }
    const first = [...byField.keys()][0];
    first?.control.focus();
    return unplaced;
  }

  clearErrors() {
    for (const field of this.fields) {
      field.error.textContent = "";
      field.error.hidden = true;
      field.control.removeAttribute("aria-invalid");
    }
  }
}

/**
 * @param {string} name
 * @param {PropertySchema} schema
 * @param {boolean} required
 * @param {unknown} value the example's value
 * @returns {Field}
 */
function createField(name, schema, required, value) {
  const id = `field-${name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const kind = kindOf(schema);
  const hint = hintOf(schema, kind, required);
  const describedBy = `${hint ? `${hintId} ` : ""}${errorId}`;
  const common = { id, name, "aria-describedby": describedBy, "aria-required": required ? "true" : undefined };

  /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
  let control;
  if (kind === "boolean") {
    control = el("input", { ...common, type: "checkbox", checked: value === true });
  } else if (kind === "enum") {
    control = el(
      "select",
      common,
      ...(schema.enum ?? []).map((option, index) => el("option", { value: String(index), selected: option === value }, String(option))),
    );
  } else if (kind === "integer" || kind === "number") {
    control = el("input", {
      ...common,
      type: "number",
      inputmode: kind === "integer" ? "numeric" : "decimal",
      step: kind === "integer" ? "1" : "any",
      min: schema.minimum,
      max: schema.maximum,
      value: typeof value === "number" ? String(value) : undefined,
    });
  } else if (kind === "text" || kind === "json") {
    control = el("textarea", { ...common, rows: kind === "json" ? 4 : 3, spellcheck: kind === "text" ? "true" : "false" });
    control.value = kind === "json" ? (value === undefined ? "" : JSON.stringify(value, null, 2)) : typeof value === "string" ? value : "";
  } else {
    control = el("input", { ...common, type: "text", autocomplete: "off" });
    control.value = typeof value === "string" ? value : "";
  }
  const label = el("label", { for: id }, name, required ? "" : el("span", { class: "optional" }, " (optional)"));
  const error = el("p", { id: errorId, class: "field-error", hidden: true });
  const wrapper = el("div", { class: kind === "boolean" ? "field field-checkbox" : "field" });
  if (kind === "boolean") wrapper.append(control, label);
  else wrapper.append(label, control);
  if (hint) wrapper.append(el("p", { id: hintId, class: "hint" }, hint));
  wrapper.append(error);
  return { name, schema, control, kind, error };
}

/** @param {PropertySchema} schema @returns {Kind} */
function kindOf(schema) {
  if (Array.isArray(schema.enum)) return "enum";
  switch (schema.type) {
    case "boolean":
      return "boolean";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "string":
      return schema.maxLength === undefined || schema.maxLength > TEXTAREA_FROM_LENGTH ? "text" : "string";
    default:
      return "json";
  }
}

/**
 * What the schema allows, in words.
 * @param {PropertySchema} schema
 * @param {Kind} kind
 * @param {boolean} required
 */
function hintOf(schema, kind, required) {
  const parts = [];
  if (schema.description) parts.push(schema.description);
  if (kind === "integer" || kind === "number") {
    const range =
      schema.minimum !== undefined && schema.maximum !== undefined
        ? `${schema.minimum} to ${schema.maximum}`
        : schema.minimum !== undefined
          ? `at least ${schema.minimum}`
          : schema.maximum !== undefined
            ? `at most ${schema.maximum}`
            : "";
    parts.push(`${kind === "integer" ? "A whole number" : "A number"}${range ? `, ${range}` : ""}.`);
  } else if (kind === "text" || kind === "string") {
    if (schema.minLength !== undefined && schema.maxLength !== undefined) parts.push(`${schema.minLength} to ${schema.maxLength} characters.`);
    else if (schema.maxLength !== undefined) parts.push(`At most ${schema.maxLength} characters.`);
  } else if (kind === "json") {
    parts.push("JSON.");
  }
  if (!required && kind !== "boolean") parts.push("Optional.");
  return parts.join(" ");
}
