// @ts-check
/**
 * The jobs submitted from this browser, newest first, kept in localStorage so they survive a
 * reload. Only what the list shows is kept; the job itself is always read from the API.
 *
 * @typedef {{ jobId: string, type: string, status: string, createdAt: string }} RecentJob
 */

const STORAGE_KEY = "cloudqueue.recentJobs";
/** Entries kept at most. */
const MAX_ENTRIES = 20;

/** @returns {RecentJob[]} */
export function loadRecentJobs() {
  try {
    /** @type {unknown} */
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]");
    if (!Array.isArray(stored)) return [];
    return stored.filter(isRecentJob).slice(0, MAX_ENTRIES);
  } catch {
    // Storage disabled, full or holding something else: the page works without the list.
    return [];
  }
}

/**
 * Adds a job or updates its entry, keeping the newest first.
 * @param {RecentJob} job
 * @returns {RecentJob[]}
 */
export function rememberJob(job) {
  const existing = loadRecentJobs();
  const index = existing.findIndex((entry) => entry.jobId === job.jobId);
  const entry = { jobId: job.jobId, type: job.type, status: job.status, createdAt: job.createdAt };
  const next = index === -1 ? [entry, ...existing] : existing.map((item, position) => (position === index ? entry : item));
  save(next.slice(0, MAX_ENTRIES));
  return next.slice(0, MAX_ENTRIES);
}

/** @param {string} jobId @returns {RecentJob[]} */
export function forgetJob(jobId) {
  const next = loadRecentJobs().filter((entry) => entry.jobId !== jobId);
  save(next);
  return next;
}

/** @returns {RecentJob[]} */
export function forgetAllJobs() {
  save([]);
  return [];
}

/** @param {RecentJob[]} jobs */
function save(jobs) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(jobs));
  } catch {
    // See loadRecentJobs.
  }
}

/** @param {unknown} value @returns {value is RecentJob} */
function isRecentJob(value) {
  if (!value || typeof value !== "object") return false;
  const entry = /** @type {Record<string, unknown>} */ (value);
  return typeof entry.jobId === "string" && typeof entry.type === "string" && typeof entry.status === "string" && typeof entry.createdAt === "string";
}
