/*
 * CloudQueue's job protocol (SPEC §4–§5) as implemented in handlers/, for spin.
 * docs/MODEL.md explains the model, its abstractions, the properties and the variants.
 *
 * Read it beside the code: every step names the function it mirrors. Each DynamoDB call is one
 * atomic step (one conditional write, or one strongly consistent read); between two calls every
 * other process may move. Time is abstract: a lease runs out when the Environment process says so, at
 * any moment after its claim (also while its holder still runs: a zombie), and a message's
 * visibility timeout (6x the worker timeout) ends only once the lease of the invocation holding
 * it has run out.
 *
 * Variants (one file, -D flags), each a protocol the checks must reject:
 *   -DNO_FENCE            commit() without its fencing condition (the seed's plain update)
 *   -DSTATUS_ONLY_COMMIT  commit() keeps `#status = :inProgress`, drops `claimToken = :token`
 *   -DNO_LEASE            the seed's claim: `#status = :queued` only, no leaseExpiresAt
 *   -DNO_SWEEPER          no sweeper, while SendMessage can fail
 *   -DHANDOFF_NO_DELAY    the sweeper hands a job delayed past 900 s to SQS with DelaySeconds 0
 *
 * job0 is submitted with a delay past SQS's 900 s (SPEC §14): it waits in the sweep index with no
 * message until the sweeper hands it to SQS; job1 is submitted to run at once, as every job was
 * before delays existed.
 *
 * Bounds that -D may change: MAXFAULTS worker crashes or store errors in all, MAXSENDFAIL failed
 * SendMessage calls, MAXDUP duplicate deliveries, MAXRETRY explicit retries and MAXCANCEL cancels
 * by clients, QCAP messages in the queue at once. Fixed by the shape of the model: 2 jobs,
 * 3 worker invocations, maxAttempts 2, maxReceiveCount 2.
 */

#ifndef MAXFAULTS
#define MAXFAULTS 2
#endif
#ifndef MAXSENDFAIL
#define MAXSENDFAIL 1
#endif
#ifndef MAXDUP
#define MAXDUP 1
#endif
#ifndef MAXRETRY
#define MAXRETRY 1
#endif
#ifndef MAXCANCEL
#define MAXCANCEL 1
#endif
#ifndef MAXZOMBIE
#define MAXZOMBIE 1
#endif
#ifndef QCAP
#define QCAP 3
#endif
#define NJOBS    2
#define NWORKERS 3
#define MAXATT   2   /* every job type's maxAttempts */
#define MAXRC    2   /* the queue's maxReceiveCount */
#define MAXTOK   4   /* claims per job: MAXATT per life, a life per explicit retry */

/* ======== the jobs table (handlers/adapters/dynamoJobStore.ts) ======== */
/*
 * Not modelled, on purpose (docs/MODEL.md, "Abstractions"): the listing indexes' keys (listShard,
 * listKey set by the put; doneShard set by the terminal commit, the cancel and the sweeper's
 * timeout, removed by an explicit retry) and the attempt log (appended by the claim and by those
 * same terminal or retrying writes). They ride on the writes modelled below, in the same atomic
 * step, and no condition reads them; listing, counting and bulk actions only read, or make the
 * client's cancel and retry modelled here, one job at a time.
 */

/* JobStatus; NONE = no item */
#define NONE        0
#define QUEUED      1
#define IN_PROGRESS 2
#define SUCCEEDED   3
#define FAILED      4
#define CANCELED    5
#define terminal(s) ((s) >= SUCCEEDED)
#define active(s)   ((s) == QUEUED || (s) == IN_PROGRESS)

typedef Item {
  byte st;      /* status */
  byte att;     /* attempts */
  byte tok;     /* claimToken, 0 = absent; every claim draws a fresh one, as randomUUID() does */
  bit  lease;   /* leaseExpiresAt present */
  bit  idx      /* sweepShard/sweepAt present: the item is in the sparse sweep index */
};
Item job[NJOBS];

/* Claim tokens drawn so far for each job: the latest claim's token is ctr[j]. */
byte ctr[NJOBS];

/*
 * Time. Bit t of live[j] is set while claim t of job j holds its lease: from the claim until the
 * lease runs out (Environment) or its holder's commit removes leaseExpiresAt.
 */
byte live[NJOBS];
#define BIT(t)               (1 << (t))
#define LEASE_RUN_OUT(j, t)  ((live[j] & BIT(t)) == 0)
/* DynamoDB's `leaseExpiresAt < :nowMs`: false when the attribute is absent. */
#define DDB_LEASE_EXPIRED(j) (job[j].lease && LEASE_RUN_OUT(j, job[j].tok))
/* The handlers' `(job.leaseExpiresAt ?? 0) < now()` on a copy read earlier: true when absent. */
#define JS_LEASE_EXPIRED(j, hasLease, t) (!(hasLease) || LEASE_RUN_OUT(j, t))

#if defined(NO_FENCE)
#define COMMIT_CONDITION(j, t) (job[j].st != NONE)
#elif defined(STATUS_ONLY_COMMIT)
#define COMMIT_CONDITION(j, t) (job[j].st == IN_PROGRESS)
#else
/* commit(): claimToken = :token AND #status = :inProgress */
#define COMMIT_CONDITION(j, t) (job[j].tok == (t) && job[j].st == IN_PROGRESS)
#endif

#ifdef NO_LEASE
#define CLAIM_CONDITION(j) (job[j].att < MAXATT && job[j].st == QUEUED)
#define CLAIM_WRITES_LEASE 0
#else
/* claim(): attempts < maxAttempts AND (#status = :queued OR (#status = :inProgress AND leaseExpiresAt < :nowMs)) */
#define CLAIM_CONDITION(j) (job[j].att < MAXATT && (job[j].st == QUEUED || (job[j].st == IN_PROGRESS && DDB_LEASE_EXPIRED(j))))
#define CLAIM_WRITES_LEASE 1
#endif

/*
 * A job's due time (SPEC §14), abstract as the others: FAR while it is more than 900 s ahead (the
 * job waits in the sweep index: DynamoJobStore.create set its sweepAt to the hand-off time, 900 s
 * before due, and JobService.submit sent no message), NEAR within 900 s (a message sent now
 * carries the remaining DelaySeconds and stays hidden until due), DUE once it has passed. Time
 * moves it forward only; an explicit retry makes the job due at once.
 */
#define DUE  0
#define NEAR 1
#define FAR  2
byte phase[NJOBS];

/* ======== the queue: an SQS standard queue with a redrive policy ======== */

/*
 * Messages carry only a job id, so a message is its job and its receive count, and the queue is
 * a multiset (SQS keeps no order): VIS(j, r) visible messages of job j received r times so far,
 * ORPH(j, r) in-flight messages received r times whose invocation crashed. The message an
 * invocation holds is in hold/wj/wrc below.
 */
byte vis[NJOBS * MAXRC];
byte orph[NJOBS * MAXRC];
#define VIS(j, r)  vis[(j) * MAXRC + (r)]
#define ORPH(j, r) orph[(j) * MAXRC + (r) - 1]
byte dly[NJOBS];   /* messages of job j sent with a DelaySeconds that has not run out: visible once the job is DUE */
byte nmsg;   /* messages in the queue, delayed, visible or in flight */
bit dlq;     /* something reached the DLQ */

/* Each worker invocation: its current receipt handle, and the claim of its attempt. */
bit  hold[NWORKERS];   /* it holds a message and its receipt handle is the current one */
byte wj[NWORKERS];     /* the job of its message */
byte wrc[NWORKERS];    /* that message's receive count */
byte wt[NWORKERS];     /* its claim token, 0 when it has no attempt */

/* A message becomes visible again; past maxReceiveCount receives the redrive policy moves it to the DLQ. */
inline backToQueue(j, r) {
  if
  :: (r) >= MAXRC -> nmsg--; dlq = 1; printf("MSC: SQS moves a message of job%d to the DLQ\n", j)
  :: else -> VIS(j, r)++
  fi
}

/* ======== fault budgets ======== */
byte faults, sendFails, dups, retries, cancels, zombies;

/* ======== ghosts and the safety properties ======== */
bool accepted[NJOBS];   /* the API's put succeeded: the job must finish */
byte nterm[NJOBS];      /* terminal commits since the job was created or last retried */

/*
 * Asserted inside the write they are about. -DSKIP_<NAME> leaves one out, so that a variant's
 * trail shows the property the variant is about rather than the first one its search meets.
 */
#ifdef SKIP_ONE_TERMINAL_COMMIT
#define ONE_TERMINAL_COMMIT(j)             true
#else
#define ONE_TERMINAL_COMMIT(j)             (nterm[j] <= 1)
#endif
#ifdef SKIP_TERMINAL_STAYS
#define TERMINAL_STAYS(old)                true
#else
#define TERMINAL_STAYS(old)                (!terminal(old))
#endif
#ifdef SKIP_ONE_LIVE_LEASE
#define ONE_LIVE_LEASE(j)                  true
#else
#define ONE_LIVE_LEASE(j)                  (live[j] == 0)
#endif
#ifdef SKIP_NEVER_EARLY
#define NEVER_EARLY(j)                     true
#else
#define NEVER_EARLY(j)                     (phase[j] == DUE)
#endif
#ifdef SKIP_ZOMBIE_COMMIT_REJECTED
#define ZOMBIE_COMMIT_REJECTED(j, t, old)  true
#else
#define ZOMBIE_COMMIT_REJECTED(j, t, old)  ((t) == ctr[j] && (old) == IN_PROGRESS)
#endif

/* Prints a status by name, for the trails in model/trails/; `shown` is hidden: not part of the state. */
hidden byte shown;
inline printStatus(status) {
  shown = status;
  if
  :: shown == QUEUED -> printf("QUEUED")
  :: shown == IN_PROGRESS -> printf("IN_PROGRESS")
  :: shown == SUCCEEDED -> printf("SUCCEEDED")
  :: shown == FAILED -> printf("FAILED")
  :: shown == CANCELED -> printf("CANCELED")
  :: else -> printf("NONE")
  fi
}

/* A terminal write: SET status ... REMOVE leaseExpiresAt, sweepShard, sweepAt (terminal jobs leave the sparse index). */
inline becomeTerminal(j, to) {
  nterm[j]++;
  assert(ONE_TERMINAL_COMMIT(j));
  assert(TERMINAL_STAYS(job[j].st));
  job[j].st = to;
  job[j].lease = 0;
  job[j].idx = 0
}

/*
 * SqsJobQueue.enqueue: SendMessage, which may fail. A full model queue drops the message (a bound).
 * Its DelaySeconds is messageDelaySeconds(dueAt, now): a job not yet due gets a hidden message.
 */
inline enqueue(j) {
  if
  :: sendFails < MAXSENDFAIL -> sendFails++; printf("MSC: SendMessage(job%d) FAILS\n", j)
  :: nmsg < QCAP && phase[j] != DUE -> nmsg++; dly[j]++; printf("MSC: SendMessage(job%d) with the remaining DelaySeconds\n", j)
  :: nmsg < QCAP && phase[j] == DUE -> nmsg++; VIS(j, 0)++; printf("MSC: SendMessage(job%d)\n", j)
  :: else -> printf("MSC: SendMessage(job%d) dropped: model queue full\n", j)
  fi
}

/* DynamoJobStore.failExpiredLease: claimToken = :token AND #status = :inProgress AND leaseExpiresAt < :nowMs */
inline failExpiredLease(j, t) {
  if
  :: job[j].tok == (t) && job[j].st == IN_PROGRESS && DDB_LEASE_EXPIRED(j) ->
     printf("MSC: failExpiredLease(job%d, token %d) -> FAILED TIMED_OUT\n", j, t);
     becomeTerminal(j, FAILED)
  :: else -> printf("MSC: failExpiredLease(job%d, token %d) rejected\n", j, t)
  fi
}

/* ======== the API (handlers/api/jobService.ts) ======== */

proctype Api() {
  byte j;
  /* JobService.submit, once per job */
  do
  :: j < NJOBS ->
     atomic {
       /* DynamoJobStore.create: PutItem with attribute_not_exists(jobId) */
       job[j].st == NONE ->
       job[j].st = QUEUED; job[j].idx = 1; accepted[j] = 1;
       if
       :: j == 0 ->
          /* delayed past 900 s: waitsInSweepIndex, so no message; sweepAt = the hand-off time */
          phase[j] = FAR;
          printf("MSC: API create(job%d) -> QUEUED, due past 900 s: waits in the sweep index\n", j)
       :: else ->
          printf("MSC: API create(job%d) -> QUEUED\n", j);
          /* JobService.enqueueOrLeaveToSweeper: a failed SendMessage is logged; the job stays accepted */
          enqueue(j)
       fi;
       j++
     }
  :: else -> break
  od;
  /* Then a client cancels and retries job0 (job1 is its mirror image). */
  j = 0;
end_api:
  do
  :: atomic {
       /* JobService.cancel -> DynamoJobStore.cancel: #status = :queued AND #owner = :owner.
          The owner conjunct (SPEC 11) only narrows the write: owner is set at create and never
          written again, so a caller of another owner fails the condition and changes nothing. */
       cancels < MAXCANCEL -> cancels++;
       if
       :: job[j].st == QUEUED ->
          printf("MSC: API cancel(job%d) -> CANCELED\n", j);
          becomeTerminal(j, CANCELED)
       :: job[j].st != QUEUED -> printf("MSC: API cancel(job%d) -> 409\n", j)
       :: true -> printf("MSC: API cancel(job%d) by another owner -> 404\n", j)
       fi
     }
  :: atomic {
       /* JobService.retry -> DynamoJobStore.retry: #status IN (:failed, :canceled) AND #owner = :owner */
       retries < MAXRETRY -> retries++;
       if
       :: true -> printf("MSC: API retry(job%d) by another owner -> 404\n", j)
       :: job[j].st == FAILED || job[j].st == CANCELED ->
          job[j].st = QUEUED; job[j].att = 0; job[j].tok = 0; job[j].lease = 0; job[j].idx = 1;
          nterm[j] = 0;
          phase[j] = DUE;   /* dueAt = :nowMs */
          printf("MSC: API retry(job%d) -> QUEUED\n", j);
          /* then enqueueOrLeaveToSweeper */
          enqueue(j)
       :: !(job[j].st == FAILED || job[j].st == CANCELED) -> printf("MSC: API retry(job%d) -> 409\n", j)
       fi
     }
  od
}

/* ======== time: leases run out ======== */

/* Claim t of job j is the attempt of a live invocation (not crashed, not given up). */
#define RUNNING(j, t) ((wt[0] == (t) && wj[0] == (j)) || (wt[1] == (t) && wj[1] == (j)) || (wt[2] == (t) && wj[2] == (j)))

/*
 * A lease runs out. The lease lasts as long as the invocation may run, so a running attempt
 * outlives it only as a fault (a stalled invocation, a skewed clock): a zombie, MAXZOMBIE times.
 */
#define EXPIRE(j, t) \
  :: atomic { (live[j] & BIT(t)) != 0 && (!RUNNING(j, t) || zombies < MAXZOMBIE) -> \
       if :: RUNNING(j, t) -> zombies++; printf("MSC: job%d's claim %d: its running attempt outlives its lease (zombie)\n", j, t) \
          :: else -> printf("MSC: the lease of job%d's claim %d runs out\n", j, t) fi; \
       live[j] = live[j] & ~BIT(t) }

/* ======== SQS ======== */

/*
 * A live invocation cannot outlast the visibility timeout (6x the worker timeout), except a zombie:
 * an attempt whose lease has run out while it still runs.
 */
#define TIMEOUT_HELD(w) \
  :: atomic { hold[w] && wt[w] != 0 && LEASE_RUN_OUT(wj[w], wt[w]) -> hold[w] = 0; backToQueue(wj[w], wrc[w]); \
       printf("MSC: SQS visibility timeout of W%d's message (job%d)\n", w, wj[w]) }

/* The visibility timeout of a crashed invocation's message ends once the job's current lease has run out. */
#define TIMEOUT_ORPHAN(j, r) \
  :: atomic { ORPH(j, r) > 0 && LEASE_RUN_OUT(j, job[j].tok) -> ORPH(j, r)--; backToQueue(j, r); \
       printf("MSC: SQS visibility timeout of a crashed invocation's message (job%d)\n", j) }

/* ... and one received maxReceiveCount times goes to the DLQ. */
#define TIMEOUT_ORPHAN_TO_DLQ(j) \
  :: atomic { ORPH(j, MAXRC) > 0 && LEASE_RUN_OUT(j, job[j].tok) -> ORPH(j, MAXRC)--; nmsg--; dlq = 1; \
       printf("MSC: SQS moves a crashed invocation's message of job%d to the DLQ\n", j) }

#define HAS_MESSAGE(j) (dly[j] + VIS(j, 0) + VIS(j, 1) + ORPH(j, 1) + ORPH(j, 2) + \
  (hold[0] && wj[0] == (j)) + (hold[1] && wj[1] == (j)) + (hold[2] && wj[2] == (j)) > 0)

/* At-least-once delivery: a message is stored twice (a copy of a delayed one is delayed as it is). */
#define DUPLICATE(j) \
  :: atomic { dups < MAXDUP && nmsg < QCAP && HAS_MESSAGE(j) -> dups++; nmsg++; \
       if :: phase[j] == DUE -> VIS(j, 0)++ :: else -> dly[j]++ fi; \
       printf("MSC: SQS delivers a message of job%d twice\n", j) }

/* Time moves a job's due time forward; a delayed message becomes visible once its job is due. */
#define TIME_PASSES(j) \
  :: atomic { phase[j] == FAR -> phase[j] = NEAR; printf("MSC: job%d is within 900 s of due\n", j) } \
  :: atomic { phase[j] == NEAR -> phase[j] = DUE; printf("MSC: job%d is due\n", j) } \
  :: atomic { phase[j] == DUE && dly[j] > 0 -> VIS(j, 0) = VIS(j, 0) + dly[j]; dly[j] = 0; \
       printf("MSC: the DelaySeconds of job%d's message runs out: visible\n", j) }

/* SQS and time in one process: neither can move forever without a worker moving (docs/MODEL.md). */
proctype Environment() {
end_environment:
  do
  TIME_PASSES(0)
  TIME_PASSES(1)
  EXPIRE(0, 1)
  EXPIRE(0, 2)
  EXPIRE(0, 3)
  EXPIRE(0, 4)
  EXPIRE(1, 1)
  EXPIRE(1, 2)
  EXPIRE(1, 3)
  EXPIRE(1, 4)
  TIMEOUT_HELD(0)
  TIMEOUT_HELD(1)
  TIMEOUT_HELD(2)
  TIMEOUT_ORPHAN(0, 1)
  TIMEOUT_ORPHAN(1, 1)
  TIMEOUT_ORPHAN_TO_DLQ(0)
  TIMEOUT_ORPHAN_TO_DLQ(1)
  DUPLICATE(0)
  DUPLICATE(1)
  od
}

/* ======== the worker (handlers/worker/handler.ts): an invocation, one record at a time ======== */

#define ACK        1
#define REDELIVER  2

/* The event source mapping hands this invocation a visible message (ReceiveMessage). */
#define RECEIVE(j, r) \
  :: VIS(j, r) > 0 -> VIS(j, r)--; hold[w] = 1; wj[w] = j; wrc[w] = r + 1; \
       printf("MSC: W%d receives a message of job%d (receive %d)\n", w, j, r + 1)

/* The invocation dies: its message stays in flight until its visibility timeout, its lease stays. */
inline crashNow() {
  printf("MSC: W%d crashes\n", w);
  if :: hold[w] -> hold[w] = 0; ORPH(wj[w], wrc[w])++ :: else -> skip fi;
  wj[w] = 0; wrc[w] = 0; wt[w] = 0; satt = 0; stok = 0; slease = 0; to = 0
}

#define MAY_CRASH \
  if \
  :: faults < MAXFAULTS -> faults++; crashNow(); goto end_idle \
  :: true -> skip \
  fi

/*
 * The partial batch response: Lambda deletes an acknowledged record's message; a failed record's
 * message comes back (after the backoff set by ChangeMessageVisibility, or its visibility timeout).
 */
inline finish(outcome) {
  if
  :: hold[w] ->
     hold[w] = 0;
     if
     :: outcome == ACK -> nmsg--; printf("MSC: W%d's message is deleted\n", w)
     :: else -> backToQueue(wj[w], wrc[w]); printf("MSC: W%d reports its record failed: the message comes back\n", w)
     fi
  :: else ->
     /* An old receipt handle (the message came back and is visible again): DeleteMessage
        succeeds but may or may not delete; ChangeMessageVisibility fails and is logged. */
     if
     :: outcome == ACK && wrc[w] < MAXRC && VIS(wj[w], wrc[w]) > 0 ->
        VIS(wj[w], wrc[w])--; nmsg--; printf("MSC: W%d deletes with an old receipt handle\n", w)
     :: true -> skip
     fi
  fi;
  wj[w] = 0; wrc[w] = 0; wt[w] = 0; satt = 0; stok = 0; slease = 0; to = 0
}

proctype Worker(byte w) {
  byte satt, stok, to;
  bit slease;

end_idle:
  /* One step: nothing but another receive can touch a visible message, so receiving it and
     claiming its job at once loses no interleaving that matters (see docs/MODEL.md). */
  atomic {
    if
    RECEIVE(0, 0)
    RECEIVE(0, 1)
    RECEIVE(1, 0)
    RECEIVE(1, 1)
    fi;
    MAY_CRASH;
    /* processRecord: store.claim(jobId, { claimToken: randomUUID(), nowMs, leaseExpiresAtMs: nowMs + remaining }) */
    if
    :: CLAIM_CONDITION(wj[w]) ->
       assert(ONE_LIVE_LEASE(wj[w]));
       assert(NEVER_EARLY(wj[w]));
       ctr[wj[w]]++; wt[w] = ctr[wj[w]];
       assert(wt[w] <= MAXTOK);   /* a model bound, not a property */
       job[wj[w]].st = IN_PROGRESS; job[wj[w]].att++; job[wj[w]].tok = wt[w]; job[wj[w]].lease = CLAIM_WRITES_LEASE;
       if :: CLAIM_WRITES_LEASE -> live[wj[w]] = live[wj[w]] | BIT(wt[w]) :: else -> skip fi;
       satt = job[wj[w]].att;
       printf("MSC: W%d claim(job%d) -> IN_PROGRESS, token %d, attempt %d\n", w, wj[w], wt[w], satt);
       if
       :: faults < MAXFAULTS -> faults++;
          /* The write lands but the SDK gives up (StoreUnavailableError): the worker never learns
             its token, reports the record failed, and the claim's lease is nobody's. */
          printf("MSC: W%d's claim landed, but the SDK gave up on it\n", w);
          wt[w] = 0;
          finish(REDELIVER);
          goto end_idle
       :: true -> skip
       fi
    :: else ->
       /* ReturnValuesOnConditionCheckFailure: ALL_OLD, the job as the condition saw it */
       printf("MSC: W%d claim(job%d) refused: ", w, wj[w]); printStatus(job[wj[w]].st);
       printf(", attempts %d, token %d\n", job[wj[w]].att, job[wj[w]].tok);
       if
       :: job[wj[w]].st == IN_PROGRESS && job[wj[w]].att >= MAXATT && job[wj[w]].tok != 0 ->
          /* settleUnclaimed may have to fail an expired lease: keep what it reads */
          stok = job[wj[w]].tok; slease = job[wj[w]].lease
       :: else ->
          /* settleUnclaimed: finished, canceled, or a live lease: a duplicate, acknowledged
             (a crash here is the crash before the claim: a refused claim writes nothing) */
          printf("MSC: W%d settleUnclaimed: duplicate acknowledged\n", w);
          finish(ACK);
          goto end_idle
       fi
    fi;
    MAY_CRASH
  };
  if
  :: wt[w] != 0 -> goto attempt
  :: else -> goto settle
  fi;

attempt:
  /* runAttempt, then processRecord's fenced store.commit(jobId, claimToken, outcome), then the batch response */
  atomic {
    if
    :: faults < MAXFAULTS -> faults++;
       /* DynamoDB fails past the SDK's retries: the record is reported failed after a backoff */
       printf("MSC: W%d commit(job%d) throws StoreUnavailableError\n", w, wj[w]);
       finish(REDELIVER);
       goto end_idle
    :: to = SUCCEEDED                   /* run.ok */
    :: to = FAILED                      /* not retryable, or retryable with no attempts left */
    :: satt < MAXATT -> to = QUEUED     /* retryable with attempts left */
    fi;
    if
    :: COMMIT_CONDITION(wj[w], wt[w]) ->
       printf("MSC: W%d commit(job%d, token %d): ", w, wj[w], wt[w]); printStatus(job[wj[w]].st);
       printf(" -> "); printStatus(to); printf("\n");
       assert(ZOMBIE_COMMIT_REJECTED(wj[w], wt[w], job[wj[w]].st));
       live[wj[w]] = live[wj[w]] & ~BIT(wt[w]);   /* the commit removes leaseExpiresAt: the holder lets go */
       if
       :: to == QUEUED ->
          assert(TERMINAL_STAYS(job[wj[w]].st));
          /* SET status, error, sweepAt = retryAt + grace REMOVE claimToken, leaseExpiresAt */
          job[wj[w]].st = QUEUED; job[wj[w]].tok = 0; job[wj[w]].lease = 0;
          /* delayRedelivery: ChangeMessageVisibility(backoff), then a batch item failure
             (a crash here brings the message back after its visibility timeout: the same) */
          finish(REDELIVER)
       :: else ->
          becomeTerminal(wj[w], to);
          MAY_CRASH;
          if
          :: faults < MAXFAULTS -> faults++;
             /* The commit landed but the SDK gave up: the record is reported failed and comes back */
             printf("MSC: W%d's commit landed, but the SDK gave up on it\n", w);
             finish(REDELIVER)
          :: true -> finish(ACK)
          fi
       fi
    :: else ->
       /* StaleClaimError: a newer attempt owns the job (a crash here is the crash after the
          claim: a rejected commit writes nothing) */
       printf("MSC: W%d commit(job%d, token %d) rejected: stale claim\n", w, wj[w], wt[w]);
       finish(ACK)
    fi
  };
  goto end_idle;

settle:
  /* settleUnclaimed: a lease that expired with no attempts left is failed TIMED_OUT, then acknowledged */
  atomic {
    if
    :: JS_LEASE_EXPIRED(wj[w], slease, stok) ->
       printf("MSC: W%d settleUnclaimed: lease expired, no attempts left\n", w);
       failExpiredLease(wj[w], stok)
    :: else -> printf("MSC: W%d settleUnclaimed: live lease, duplicate acknowledged\n", w)
    fi;
    MAY_CRASH;
    finish(ACK)
  };
  goto end_idle
}

/* ======== the sweeper (handlers/sweeper/handler.ts) ======== */

/*
 * sweepAt is not modelled: every run looks at every job of the sweep index as if its sweepAt had
 * passed, and deferSweep's condition is checked on its status part only. Both only add
 * behaviours (more, and earlier, repairs).
 */
proctype Sweeper() {
  byte j, sst, satt, stok;
end_sweeper:
  do
  :: atomic {
       /* findDue: the job is in the sweep index; repair(): store.get(jobId), then now() */
       if
       :: job[j].idx && job[j].st == IN_PROGRESS && !JS_LEASE_EXPIRED(j, job[j].lease, job[j].tok) ->
          skip   /* a live lease: deferSweep to leaseExpiresAt + 1 moves only sweepAt */
       :: job[j].idx && job[j].st == QUEUED && phase[j] == FAR ->
          skip   /* not yet at its hand-off time: deferSweep to handOffAtMs(dueAt) moves only sweepAt */
       :: job[j].idx && active(job[j].st) && !(job[j].st == IN_PROGRESS && !JS_LEASE_EXPIRED(j, job[j].lease, job[j].tok)) && !(job[j].st == QUEUED && phase[j] == FAR) ->
          sst = job[j].st; satt = job[j].att; stok = job[j].tok
       :: else -> skip
       fi;
#ifdef SWEEPER_RACES
     };
     atomic {
#endif
       if
       :: sst == 0 -> skip
       :: sst == IN_PROGRESS && satt >= MAXATT ->
          printf("MSC: sweeper: job%d's lease expired with no attempts left\n", j);
          failExpiredLease(j, stok)
       :: else ->
          /* A hand-off (QUEUED, not yet due), QUEUED never claimed in time, or an expired lease
             with attempts left: deferSweep(expected status), then queue.enqueue with
             messageDelaySeconds(dueAt, now()) for a hand-off, 0 for a repair */
          if
          :: job[j].idx && job[j].st == sst ->
             printf("MSC: sweeper requeues job%d\n", j);
#ifdef HANDOFF_NO_DELAY
             if
             :: sst == QUEUED && phase[j] == NEAR && nmsg < QCAP -> nmsg++; VIS(j, 0)++;
                printf("MSC: SendMessage(job%d) with DelaySeconds 0\n", j)
             :: else -> enqueue(j)
             fi
#else
             enqueue(j)
#endif
          :: else -> printf("MSC: sweeper skips job%d: changed since read\n", j)
          fi
       fi;
       sst = 0; satt = 0; stok = 0; j = 1 - j
     }
  od
}

/* ======== liveness: every accepted job reaches a terminal state ======== */

#define done0 (terminal(job[0].st))
#define done1 (terminal(job[1].st))
ltl every_job_finishes { [] ((accepted[0] -> <> done0) && (accepted[1] -> <> done1)) }

init {
  atomic {
    run Api();
    run Environment();
#ifndef NO_SWEEPER
    run Sweeper();
#endif
    run Worker(0);
    run Worker(1);
    run Worker(2)
  }
}
