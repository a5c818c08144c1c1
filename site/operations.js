// @ts-check
import { BULK_FROM, withRetryAfter } from "./api.js";
import { jobCount } from "./bulkDialog.js";
import { BulkPanel } from "./bulkPanel.js";
import { CursorPager } from "./cursorPager.js";
import { DetailPanel } from "./detailPanel.js";
import { byId, el, messageOf, setMessage, timeElement } from "./dom.js";
import { bulkFilterFor, describeFilter, localTimeToIso } from "./jobFilter.js";
import { JOB_STATUSES, renderJobRows, renderStatusCounts, shortId } from "./jobTable.js";

/**
 * The operations view: counts by status, the filtered table of jobs paged by cursor, a job's
 * detail, and bulk retry or cancel of the selected jobs or of everything the filter matches,
 * each after a dry run and a confirmation.
 *
 * @typedef {import("./api.js").ApiClient} ApiClient
 * @typedef {import("./api.js").Job} Job
 * @typedef {import("./api.js").JobFilter} JobFilter
 * @typedef {import("./api.js").JobStatus} JobStatus
 * @typedef {import("./api.js").JobSummary} JobSummary
 */

/**
 * Empty pages followed at most before one is shown: a page stops at its read bound and can come
 * back empty with a `nextCursor`, and a person should not have to press "Next" through blanks.
 */
export const EMPTY_PAGES_FOLLOWED = 5;

export class OperationsView {
  /**
   * @param {() => ApiClient} api the page's client (its token is the page's)
   * @param {(message: string) => void} announce the page's polite live region
   */
  constructor(api, announce) {
    this.api = api;
    this.announce = announce;
    this.pager = new CursorPager();
    /** @type {JobFilter} what the table shows (the form may hold edits not yet applied) */
    this.filter = {};
    this.limit = 25;
    /** @type {Job[]} */
    this.jobs = [];
    /** @type {Set<string>} ids selected on the page shown */
    this.selected = new Set();
    /** @type {JobSummary | undefined} */
    this.summary = undefined;
    this.loaded = false;
    this.pageGeneration = 0;
    this.ui = {
      refresh: byId("ops-refresh", HTMLButtonElement),
      counts: byId("status-counts", HTMLUListElement),
      countsScope: byId("counts-scope", HTMLElement),
      countsAsOf: byId("counts-as-of", HTMLElement),
      countsError: byId("counts-error", HTMLElement),
      filterForm: byId("filter-form", HTMLFormElement),
      type: byId("filter-type", HTMLSelectElement),
      pageSize: byId("filter-page-size", HTMLSelectElement),
      createdAfter: byId("filter-created-after", HTMLInputElement),
      createdAfterError: byId("filter-created-after-error", HTMLElement),
      createdBefore: byId("filter-created-before", HTMLInputElement),
      createdBeforeError: byId("filter-created-before-error", HTMLElement),
      clear: byId("filter-clear", HTMLButtonElement),
      selectionCount: byId("selection-count", HTMLElement),
      retrySelected: byId("retry-selected", HTMLButtonElement),
      cancelSelected: byId("cancel-selected", HTMLButtonElement),
      retryMatching: byId("retry-matching", HTMLButtonElement),
      cancelMatching: byId("cancel-matching", HTMLButtonElement),
      table: byId("jobs-table", HTMLTableElement),
      caption: byId("jobs-caption", HTMLElement),
      selectPage: byId("select-page", HTMLInputElement),
      body: byId("jobs-body", HTMLTableSectionElement),
      empty: byId("jobs-empty", HTMLElement),
      jobsError: byId("jobs-error", HTMLElement),
      previous: byId("page-previous", HTMLButtonElement),
      next: byId("page-next", HTMLButtonElement),
      pageStatus: byId("page-status", HTMLElement),
    };
    const { ui } = this;
    this.detail = new DetailPanel(api, {
      onAction: (action, jobId) => void this.bulk.run(action, { jobIds: [jobId] }, `Job ${shortId(jobId)}`, 1),
      onOpenChange: (jobId) => {
        for (const row of ui.body.rows) row.classList.toggle("is-open", row.getAttribute("data-job-id") === jobId);
      },
      opener: (jobId) => ui.body.querySelector(`button.job-open[data-job-id="${CSS.escape(jobId)}"]`),
      fallbackFocus: byId("jobs-heading", HTMLElement),
    });
    const starters = [ui.retrySelected, ui.cancelSelected, ui.retryMatching, ui.cancelMatching, byId("detail-retry", HTMLButtonElement), byId("detail-cancel", HTMLButtonElement)];
    this.bulk = new BulkPanel(api, announce, starters, () => this.refresh());
    this.listen();
    renderStatusCounts(ui.counts, undefined, "ALL");
  }

  listen() {
    const { ui } = this;
    ui.refresh.addEventListener("click", () => void this.refresh().then(() => this.announce("Counts and jobs read again.")));
    ui.filterForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.applyForm();
    });
    ui.clear.addEventListener("click", () => {
      ui.filterForm.reset();
      this.applyForm();
    });
    ui.counts.addEventListener("click", (event) => {
      const status = event.target instanceof Element ? event.target.closest("button[data-status]")?.getAttribute("data-status") : undefined;
      if (!status) return;
      for (const box of this.statusBoxes()) box.checked = box.value === status;
      this.applyForm();
    });
    ui.previous.addEventListener("click", () => {
      this.pager.back();
      void this.loadPage();
    });
    ui.next.addEventListener("click", () => {
      this.pager.forward();
      void this.loadPage();
    });
    ui.selectPage.addEventListener("change", () => {
      for (const job of this.jobs) {
        if (ui.selectPage.checked) this.selected.add(job.jobId);
        else this.selected.delete(job.jobId);
      }
      for (const box of ui.body.querySelectorAll("input.row-select")) if (box instanceof HTMLInputElement) box.checked = ui.selectPage.checked;
      this.showSelection();
    });
    ui.body.addEventListener("change", (event) => {
      const box = event.target;
      if (!(box instanceof HTMLInputElement) || !box.classList.contains("row-select")) return;
      const jobId = box.getAttribute("data-job-id") ?? "";
      if (box.checked) this.selected.add(jobId);
      else this.selected.delete(jobId);
      this.showSelection();
    });
    ui.body.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("button.job-open") : null;
      const jobId = button?.getAttribute("data-job-id");
      if (jobId) void this.detail.open(jobId);
    });
    ui.retrySelected.addEventListener("click", () => void this.bulkSelected("retry"));
    ui.cancelSelected.addEventListener("click", () => void this.bulkSelected("cancel"));
    ui.retryMatching.addEventListener("click", () => void this.bulkMatching("retry"));
    ui.cancelMatching.addEventListener("click", () => void this.bulkMatching("cancel"));
  }

  /** @returns {HTMLInputElement[]} */
  statusBoxes() {
    return [...this.ui.filterForm.querySelectorAll('input[name="status"]')].filter((box) => box instanceof HTMLInputElement);
  }

  /**
   * The job types the filter offers (from `GET /job-types`; types only seen in the counts are added then).
   * @param {string[]} types
   */
  setJobTypes(types) {
    const known = new Set([...this.ui.type.options].map((option) => option.value));
    for (const type of types) if (!known.has(type)) this.ui.type.append(el("option", { value: type }, type));
  }

  /** The view was shown: loads it the first time, refreshes it after. */
  shown() {
    if (!this.loaded) this.applyForm();
    else void this.refresh();
  }

  /** Counts and the current page again (after a token change, a bulk action, the Refresh button). */
  async refresh() {
    await Promise.all([this.loadCounts(), this.loadPage(), this.detail.reload()]);
  }

  /** Reads the form into the filter and shows its first page; a bad time range stays in the form. */
  applyForm() {
    const { ui } = this;
    /** @type {[HTMLInputElement, HTMLElement][]} */
    const timeFields = [
      [ui.createdAfter, ui.createdAfterError],
      [ui.createdBefore, ui.createdBeforeError],
    ];
    for (const [input, error] of timeFields) {
      input.removeAttribute("aria-invalid");
      setMessage(error, "");
    }
    const createdAfter = localTimeToIso(ui.createdAfter.value);
    const createdBefore = localTimeToIso(ui.createdBefore.value);
    if (createdAfter && createdBefore && createdAfter > createdBefore) {
      ui.createdBefore.setAttribute("aria-invalid", "true");
      setMessage(ui.createdBeforeError, "Created up to must not be earlier than created from.");
      ui.createdBefore.focus();
      return;
    }
    /** @type {JobFilter} */
    const filter = {};
    const status = this.statusBoxes().filter((box) => box.checked).map((box) => /** @type {JobStatus} */ (box.value));
    if (status.length > 0) filter.status = status;
    if (ui.type.value) filter.type = ui.type.value;
    if (createdAfter) filter.createdAfter = createdAfter;
    if (createdBefore) filter.createdBefore = createdBefore;
    this.filter = filter;
    this.limit = Number(ui.pageSize.value) || 25;
    this.loaded = true;
    this.pager.reset();
    void this.loadPage();
    this.showCounts();
    if (!this.summary) void this.loadCounts();
  }

  async loadCounts() {
    try {
      this.summary = await withRetryAfter(() => this.api().summary());
      setMessage(this.ui.countsError, "");
    } catch (error) {
      setMessage(this.ui.countsError, `Could not count the jobs: ${messageOf(error)}`);
    }
    this.showCounts();
  }

  showCounts() {
    const { summary, filter, ui } = this;
    const counts = summary && (filter.type ? summary.byType[filter.type] ?? Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) : summary.byStatus);
    const active = !filter.status ? "ALL" : filter.status.length === 1 ? filter.status[0] : undefined;
    renderStatusCounts(ui.counts, /** @type {import("./api.js").StatusCounts | undefined} */ (counts), active);
    this.setJobTypes(Object.keys(summary?.byType ?? {}));
    const whose = summary?.scope === "all" ? "Every owner's jobs" : "Your jobs";
    ui.countsScope.textContent = `${whose}, ${filter.type ? `of type ${filter.type}` : "every type"}, at any time. Choose a figure to list those jobs.`;
    ui.countsAsOf.replaceChildren(...(summary ? ["Counted ", timeElement(summary.asOf), "."] : []));
  }

  /** Shows the page the pager is on, following empty pages on (at most {@link EMPTY_PAGES_FOLLOWED}). */
  async loadPage() {
    const { ui } = this;
    const generation = ++this.pageGeneration;
    ui.table.setAttribute("aria-busy", "true");
    ui.previous.disabled = true;
    ui.next.disabled = true;
    try {
      let cursor = this.pager.cursor;
      let page = await withRetryAfter(() => this.api().list({ ...this.filter, limit: this.limit, cursor }));
      for (let followed = 0; page.jobs.length === 0 && page.nextCursor && followed < EMPTY_PAGES_FOLLOWED; followed++) {
        cursor = page.nextCursor;
        page = await withRetryAfter(() => this.api().list({ ...this.filter, limit: this.limit, cursor }));
      }
      if (generation !== this.pageGeneration) return;
      this.pager.loaded(page.nextCursor);
      this.jobs = page.jobs;
      setMessage(ui.jobsError, "");
    } catch (error) {
      if (generation !== this.pageGeneration) return;
      this.pager.loaded(undefined);
      this.jobs = [];
      setMessage(ui.jobsError, `Could not list the jobs: ${messageOf(error)}`);
    } finally {
      if (generation === this.pageGeneration) ui.table.removeAttribute("aria-busy");
    }
    this.selected.clear();
    this.showPage();
  }

  showPage() {
    const { ui, pager, jobs } = this;
    renderJobRows(ui.body, jobs, this.selected, this.detail.jobId);
    const more = pager.hasNext ? "; more may follow" : "";
    ui.caption.textContent = `${describeFilter(this.filter)}, newest first: page ${pager.pageNumber}, ${jobCount(jobs.length)} shown${more}`;
    ui.pageStatus.textContent = `Page ${pager.pageNumber}`;
    ui.previous.disabled = !pager.hasPrevious;
    ui.next.disabled = !pager.hasNext;
    const emptyText = jobs.length > 0 ? "" : pager.hasNext ? "No jobs on this page yet; more may follow on the next." : pager.pageNumber > 1 ? "No more jobs." : "No jobs match these filters.";
    setMessage(ui.empty, ui.jobsError.hidden ? emptyText : "");
    this.showSelection();
  }

  showSelection() {
    const { ui } = this;
    const count = this.selected.size;
    ui.selectionCount.textContent = count === 0 ? "No job selected" : `${jobCount(count)} selected`;
    ui.retrySelected.disabled = count === 0;
    ui.cancelSelected.disabled = count === 0;
    ui.selectPage.checked = count > 0 && count === this.jobs.length;
    ui.selectPage.indeterminate = count > 0 && count < this.jobs.length;
    ui.selectPage.disabled = this.jobs.length === 0;
  }

  /** @param {"retry" | "cancel"} action */
  bulkSelected(action) {
    const jobIds = this.jobs.map((job) => job.jobId).filter((jobId) => this.selected.has(jobId));
    return this.bulk.run(action, { jobIds }, `The ${jobCount(jobIds.length)} selected`, this.limit);
  }

  /** @param {"retry" | "cancel"} action */
  bulkMatching(action) {
    const filter = bulkFilterFor(action, this.filter);
    if (!filter) {
      const from = BULK_FROM[action].join(" or ");
      return this.bulk.finish(`Nothing to ${action}: the filter shows no ${from} jobs, the only ones ${action === "retry" ? "a retry" : "a cancel"} moves.`);
    }
    return this.bulk.run(action, { filter }, describeFilter(filter), this.limit);
  }
}
