// @ts-check
/**
 * The page's two views, "Submit" (the form, the current job, recent jobs) and "Operations" (the
 * job table, counts and bulk actions), chosen by the URL's hash (`#submit`, `#operations`) so a
 * view can be linked and the browser's Back button moves between them.
 *
 * @typedef {"submit" | "operations"} View
 * @typedef {{ container: HTMLElement, link: HTMLAnchorElement, heading: HTMLElement, title: string, intro: string }} ViewParts
 */

/** @type {readonly View[]} */
export const VIEWS = ["submit", "operations"];

/**
 * The view a hash names; `current` for a hash naming none (the skip link's `#main`, a stale
 * fragment), so following an in-page link never switches views. No hash at all is the Submit view.
 * @param {string} hash `location.hash`, with its `#`
 * @param {View} current
 * @returns {View}
 */
export function viewOfHash(hash, current) {
  const name = decodeURIComponent(hash.replace(/^#/, "")).split("?")[0];
  if (name === "") return "submit";
  return VIEWS.find((view) => view === name) ?? current;
}

export class ViewSwitch {
  /**
   * @param {Record<View, ViewParts>} views
   * @param {{ intro: HTMLElement, onShow: (view: View) => void, announce: (message: string) => void }} options
   */
  constructor(views, options) {
    this.views = views;
    this.options = options;
    /** @type {View} */
    this.current = "submit";
  }

  /** Shows the view of the current hash (without moving focus), then follows hash changes. */
  start() {
    this.show(viewOfHash(location.hash, this.current), { moveFocus: false });
    window.addEventListener("hashchange", () => {
      const view = viewOfHash(location.hash, this.current);
      // A person chose it (a link, Back): focus goes to its heading, as a page load would put it at the top.
      if (view !== this.current) this.show(view, { moveFocus: true });
    });
  }

  /**
   * @param {View} view
   * @param {{ moveFocus: boolean }} options
   */
  show(view, { moveFocus }) {
    this.current = view;
    for (const name of VIEWS) {
      const parts = this.views[name];
      parts.container.hidden = name !== view;
      if (name === view) parts.link.setAttribute("aria-current", "page");
      else parts.link.removeAttribute("aria-current");
    }
    const parts = this.views[view];
    document.title = parts.title;
    document.body.dataset.view = view;
    this.options.intro.textContent = parts.intro;
    this.options.onShow(view);
    if (moveFocus) {
      parts.heading.focus();
      this.options.announce(`${parts.link.textContent?.trim() ?? view} view`);
    }
  }
}
