// @ts-check
import { ApiClient, ApiError, isTerminal, withRetryAfter } from "./api.js";
import { byId, el, messageOf, setMessage, timeElement } from "./dom.js";
import { describeChange, renderJob } from "./jobView.js";
import { MetricsPanel } from "./metricsPanel.js";
import { OperationsView } from "./operations.js";
import { JobPoller } from "./polling.js";
import { forgetAllJobs, forgetJob, loadRecentJobs, rememberJob } from "./recentJobs.js";
import { SchemaForm } from "./schemaForm.js";
import { ViewSwitch } from "./views.js";

/**
 * The page: job types from the API, a form per type, the current job polled until it is
 * terminal, cancel and retry, and the jobs submitted from this browser; and the operations view
 * (operations.js), on the same client and token.
 *
 * @typedef {import("./api.js").Job} Job
 * @typedef {import("./api.js").JobType} JobType
 * @typedef {import("./api.js").FieldError} FieldError
 * @typedef {import("./recentJobs.js").RecentJob} RecentJob
 * @typedef {import("./jobView.js").HistoryEntry} HistoryEntry
 */

const ui = {
  form: byId("job-form", HTMLFormElement),
  typeSelect: byId("job-type", HTMLSelectElement),
  typeDescription: byId("job-type-description", HTMLElement),
  typeError: byId("job-type-error", HTMLElement),
  payloadFields: byId("payload-fields", HTMLElement),
  delay: byId("delay-seconds", HTMLInputElement),
  delayError: byId("delay-seconds-error", HTMLElement),
  formError: byId("form-error", HTMLElement),
  loadError: byId("load-error", HTMLElement),
  submit: byId("submit-job", HTMLButtonElement),
  jobSection: byId("job-section", HTMLElement),
  jobView: byId("job-view", HTMLElement),
  cancel: byId("cancel-job", HTMLButtonElement),
  retry: byId("retry-job", HTMLButtonElement),
  actionError: byId("action-error", HTMLElement),
  recentList: byId("recent-jobs", HTMLUListElement),
  recentEmpty: byId("recent-empty", HTMLElement),
  clearRecent: byId("clear-recent", HTMLButtonElement),
  live: byId("live-status", HTMLElement),
  publicNotice: byId("public-notice", HTMLElement),
  iamNotice: byId("iam-notice", HTMLElement),
  accessSection: byId("access-section", HTMLElement),
  tokenForm: byId("token-form", HTMLFormElement),
  tokenInput: byId("access-token", HTMLInputElement),
  forgetToken: byId("forget-token", HTMLButtonElement),
  tokenStatus: byId("token-status", HTMLElement),
};

/** Where the access token is kept: this tab's session only, never localStorage. */
const TOKEN_KEY = "cloudqueue.token";

/** @type {{ api: ApiClient | undefined, jobTypes: JobType[], form: SchemaForm | undefined, job: Job | undefined, history: HistoryEntry[] }} */
const state = { api: undefined, jobTypes: [], form: undefined, job: undefined, history: [] };

const poller = new JobPoller(
  (jobId) => requireApi().get(jobId),
  (job) => showJob(job),
  (error) => setMessage(ui.actionError, `Could not refresh the job: ${messageOf(error)}. Still trying.`),
);

function requireApi() {
  if (!state.api) throw new Error("the page has not loaded its configuration yet");
  return state.api;
}

/** @param {string} message */
function announce(message) {
  // Cleared first so that the same text twice is announced twice.
  ui.live.textContent = "";
  setTimeout(() => (ui.live.textContent = message), 50);
}

const operations = new OperationsView(requireApi, announce);

const views = new ViewSwitch(
  {
    submit: {
      container: byId("submit-view", HTMLElement),
      link: byId("nav-submit", HTMLAnchorElement),
      heading: byId("submit-heading", HTMLElement),
      title: "CloudQueue",
      intro: "Submit a job, then watch it run: queued, in progress, and its result.",
    },
    operations: {
      container: byId("operations-view", HTMLElement),
      link: byId("nav-operations", HTMLAnchorElement),
      heading: byId("counts-heading", HTMLElement),
      title: "Operations · CloudQueue",
      intro: "Find jobs by status, type and time, follow a job's attempts, and retry or cancel many at once.",
    },
  },
  {
    intro: byId("view-intro", HTMLElement),
    // Until config.json is read there is no client: start() shows the view then.
    onShow: (view) => {
      if (view === "operations" && state.api) operations.shown();
    },
    announce,
  },
);

async function start() {
  renderRecent(loadRecentJobs());
  ui.submit.disabled = true;
  try {
    const api = await ApiClient.fromConfig();
    state.api = api;
    showAccess(api);
    if (views.current === "operations") operations.shown();
    state.jobTypes = await withRetryAfter(() => api.listJobTypes());
  } catch (error) {
    setMessage(ui.loadError, `Could not load the job types: ${messageOf(error)}. Reload the page to try again.`);
    return;
  }
  operations.setJobTypes(state.jobTypes.map((jobType) => jobType.type));
  ui.typeSelect.replaceChildren(...state.jobTypes.map((jobType) => el("option", { value: jobType.type }, jobType.type)));
  selectType(state.jobTypes[0]?.type ?? "");
  ui.submit.disabled = false;
}

/**
 * What the page says about access: the public demo's notice, the token field of a closed (jwt)
 * stack, or that an iam stack cannot be used from a browser.
 * @param {ApiClient} api
 */
function showAccess(api) {
  ui.publicNotice.hidden = api.auth !== "none";
  ui.iamNotice.hidden = api.auth !== "iam";
  ui.accessSection.hidden = api.auth !== "jwt";
  if (api.auth !== "jwt") return;
  api.token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  showTokenState(api);
}

/** @param {ApiClient} api */
function showTokenState(api) {
  ui.forgetToken.hidden = !api.token;
  ui.tokenStatus.textContent = api.token ? "A token is set for this tab." : "No token yet: requests other than the job types will be refused.";
}

ui.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const api = requireApi();
  const token = ui.tokenInput.value.trim().replace(/^Bearer\s+/i, "");
  if (!token) return;
  api.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.tokenInput.value = "";
  showTokenState(api);
  announce("Token set for this tab.");
  if (views.current === "operations") operations.shown();
});

ui.forgetToken.addEventListener("click", () => {
  const api = requireApi();
  api.token = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  showTokenState(api);
  announce("Token forgotten.");
  if (views.current === "operations") operations.shown();
});

/** @param {string} type */
function selectType(type) {
  const jobType = state.jobTypes.find((candidate) => candidate.type === type);
  if (!jobType) return;
  ui.typeSelect.value = type;
  ui.typeDescription.textContent = `${jobType.description} Up to ${jobType.maxAttempts} attempts, ${jobType.timeoutSeconds} s each.`;
  state.form = new SchemaForm(ui.payloadFields, jobType.payloadSchema, jobType.example);
  clearFormErrors();
}

function clearFormErrors() {
  state.form?.clearErrors();
  /** @type {[HTMLElement, HTMLElement][]} */
  const pairs = [
    [ui.typeSelect, ui.typeError],
    [ui.delay, ui.delayError],
  ];
  for (const [control, message] of pairs) {
    control.removeAttribute("aria-invalid");
    setMessage(message, "");
  }
  setMessage(ui.formError, "");
}

/**
 * Places the API's field errors: payload fields in the form, `type` and `delaySeconds` at
 * their controls, anything else above the submit button.
 * @param {FieldError[]} errors
 * @param {string} detail
 */
function showFormErrors(errors, detail) {
  const rest = state.form ? state.form.showErrors(errors) : errors;
  /** @type {string[]} */
  const general = [];
  for (const error of rest) {
    /** @type {[HTMLElement, HTMLElement] | undefined} */
    const target = error.path === "type" ? [ui.typeSelect, ui.typeError] : error.path === "delaySeconds" ? [ui.delay, ui.delayError] : undefined;
    if (!target) {
      general.push(error.path ? `${error.path}: ${error.message}` : error.message);
      continue;
    }
    target[0].setAttribute("aria-invalid", "true");
    setMessage(target[1], error.message);
  }
  setMessage(ui.formError, general.length > 0 ? general.join("; ") : errors.length > 0 ? "" : detail);
  announce(`The job was not submitted: ${errors.map((error) => error.message).join("; ") || detail}`);
}

/** @param {SubmitEvent} event */
async function onSubmit(event) {
  event.preventDefault();
  if (!state.form) return;
  clearFormErrors();
  const { payload, errors } = state.form.read();
  if (errors.length > 0) return showFormErrors(errors, "");
  /** @type {{ type: string, payload: unknown, delaySeconds?: number }} */
  const submission = { type: ui.typeSelect.value, payload };
  const delayText = ui.delay.value.trim();
  const delaySeconds = delayText === "" ? 0 : Number(delayText);
  if (delaySeconds !== 0) submission.delaySeconds = delaySeconds;

  ui.submit.disabled = true;
  try {
    const accepted = await requireApi().submit(submission);
    // The 202 answer is short; what the poller needs to know about the delay is known here.
    const job = { ...accepted, payload, attempts: 0, delaySeconds };
    state.history = [];
    showJob(job);
    announce(`Job submitted: ${job.type}, ${job.status}. Job ID ${job.jobId}.`);
    poller.follow(job);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) showFormErrors(error.problem.errors ?? [], error.message);
    else setMessage(ui.formError, `The job was not submitted: ${messageOf(error)}`);
  } finally {
    ui.submit.disabled = false;
  }
}

/**
 * Shows a job as the current one, records what changed, and updates its recent entry.
 * @param {Job} job
 */
function showJob(job) {
  const previous = state.job?.jobId === job.jobId ? state.job : undefined;
  const change = describeChange(previous, job);
  if (change) {
    state.history.push({ at: new Date().toISOString(), text: change });
    if (previous) announce(`Job ${job.type}: ${change}`);
  }
  state.job = job;
  ui.jobSection.hidden = false;
  renderJob(ui.jobView, job, state.history);
  ui.cancel.hidden = job.status !== "QUEUED";
  ui.retry.hidden = job.status !== "FAILED" && job.status !== "CANCELED";
  if (isTerminal(job.status)) setMessage(ui.actionError, "");
  renderRecent(rememberJob({ jobId: job.jobId, type: job.type, status: job.status, createdAt: job.createdAt }));
}

/** @param {"cancel" | "retry"} action */
async function onAction(action) {
  const job = state.job;
  if (!job) return;
  const button = action === "cancel" ? ui.cancel : ui.retry;
  button.disabled = true;
  setMessage(ui.actionError, "");
  try {
    const updated = action === "cancel" ? await requireApi().cancel(job.jobId) : await requireApi().retry(job.jobId);
    showJob(updated);
    announce(action === "cancel" ? "Job canceled." : "Job queued again.");
    poller.follow(updated);
  } catch (error) {
    setMessage(ui.actionError, `Could not ${action} the job: ${messageOf(error)}`);
    // The job moved on meanwhile (a 409): show where it is now.
    if (error instanceof ApiError && error.status === 409) openJob(job.jobId);
  } finally {
    button.disabled = false;
  }
}

/** @param {string} jobId */
async function openJob(jobId) {
  poller.stop();
  setMessage(ui.actionError, "");
  try {
    const job = await requireApi().get(jobId);
    if (state.job?.jobId !== jobId) state.history = [];
    showJob(job);
    poller.follow(job);
    ui.jobSection.scrollIntoView({ block: "nearest" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      renderRecent(forgetJob(jobId));
      announce("That job no longer exists; it was removed from the list.");
    } else {
      setMessage(ui.actionError, `Could not open the job: ${messageOf(error)}`);
    }
  }
}

/** @param {RecentJob[]} jobs */
function renderRecent(jobs) {
  ui.recentEmpty.hidden = jobs.length > 0;
  ui.clearRecent.hidden = jobs.length === 0;
  ui.recentList.replaceChildren(
    ...jobs.map((job) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "recent-job", "data-job-id": job.jobId, "aria-label": `Open ${job.type} job ${job.jobId}, ${job.status}` },
          el("span", { class: `status status-${job.status}` }, job.status),
          el("span", { class: "recent-type" }, job.type),
          el("span", { class: "recent-time" }, timeElement(job.createdAt)),
          el("code", { class: "recent-id" }, job.jobId.slice(0, 8)),
        ),
      ),
    ),
  );
}

ui.form.addEventListener("submit", (event) => void onSubmit(event));
ui.typeSelect.addEventListener("change", () => selectType(ui.typeSelect.value));
ui.cancel.addEventListener("click", () => void onAction("cancel"));
ui.retry.addEventListener("click", () => void onAction("retry"));
ui.clearRecent.addEventListener("click", () => renderRecent(forgetAllJobs()));
ui.recentList.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("button[data-job-id]") : null;
  const jobId = target?.getAttribute("data-job-id");
  if (jobId) void openJob(jobId);
});

views.start();
void start();
// Apart from the form: the panel shows where the stack serves metrics (npm start), and stays
// hidden where it does not (the deployed site).
new MetricsPanel().start();
